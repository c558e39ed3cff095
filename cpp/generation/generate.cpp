#include "generation/generate.h"

#include "core/error.h"

namespace lst {

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::kLength: return "length";
    case FinishReason::kEos: return "eos";
    case FinishReason::kStop: return "stop";
    case FinishReason::kCallback: return "callback";
  }
  return "unknown";
}

static bool ends_with(const std::vector<int32_t>& seq, const std::vector<int32_t>& tail) {
  return !tail.empty() && seq.size() >= tail.size() &&
         std::equal(tail.begin(), tail.end(), seq.end() - tail.size());
}

GenerateResult generate(Decoder& decoder, const int32_t* prompt, int64_t n,
                        const GenerateOptions& o, uint64_t stream,
                        const std::function<bool(int32_t, int)>& on_token) {
  LST_CHECK(o.max_new_tokens >= 0, "max_new_tokens must be >= 0, got ", o.max_new_tokens);
  Sampler sampler(o.sampling, o.seed, stream);
  GenerateResult r;
  if (o.max_new_tokens == 0) return r;
  const float* logits = decoder.prefill(prompt, n);
  for (int i = 0; i < o.max_new_tokens; ++i) {
    const int32_t tok = sampler.sample(logits, static_cast<int>(decoder.vocab_size()), i);
    r.tokens.push_back(tok);
    if (on_token && !on_token(tok, i)) {
      r.finish = FinishReason::kCallback;
      return r;
    }
    if (o.eos_token >= 0 && tok == o.eos_token) {
      r.finish = FinishReason::kEos;
      return r;
    }
    for (const auto& s : o.stop)
      if (ends_with(r.tokens, s)) {
        r.finish = FinishReason::kStop;
        return r;
      }
    if (i + 1 < o.max_new_tokens) logits = decoder.step(tok);
  }
  r.finish = FinishReason::kLength;
  return r;
}

}  // namespace lst
