#include "generation/generate.h"

#include <algorithm>

#include "core/error.h"

namespace lst {

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::kNone: return "";
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

GenerationSession::GenerationSession(IncrementalDecoder& decoder, const GenerateOptions& options, uint64_t stream)
    : decoder_(decoder), options_(options), sampler_(options.sampling, options.seed, stream) {
  LST_CHECK(options.max_new_tokens >= 0, "max_new_tokens must be >= 0, got ", options.max_new_tokens);
}

void GenerationSession::prefill(const int32_t* prompt, int64_t n) {
  tokens_.clear();
  finished_ = options_.max_new_tokens == 0;
  warned_ = false;
  prompt_length_ = n;
  logits_ = decoder_.prefill(prompt, n);
}

GenerationSession::Step GenerationSession::next() {
  LST_CHECK(logits_ != nullptr, "call prefill() before next()");
  LST_CHECK(!finished_, "the generation has finished");
  if (!tokens_.empty()) logits_ = decoder_.step(tokens_.back());
  Step s;
  const int i = static_cast<int>(tokens_.size());
  s.token = sampler_.sample(logits_, decoder_.vocab_size(), uint64_t(i));
  tokens_.push_back(s.token);
  if (options_.eos_token >= 0 && s.token == options_.eos_token) s.finish = FinishReason::kEos;
  else if (std::any_of(options_.stop.begin(), options_.stop.end(), [&](auto& q) { return ends_with(tokens_, q); }))
    s.finish = FinishReason::kStop;
  else if (i + 1 == options_.max_new_tokens) s.finish = FinishReason::kLength;
  finished_ = s.finish != FinishReason::kNone;
  // The next step appends this token: past max_seq_len the exact mode then
  // re-encodes the whole window for every token (docs/SPEC.md §5).
  if (!finished_ && !warned_ && options_.context.mode == ContextMode::kExact &&
      prompt_length_ + i + 1 > decoder_.model().config().max_seq_len) {
    s.passes_context_limit = warned_ = true;
  }
  return s;
}

std::unique_ptr<IncrementalDecoder> make_decoder(Model& model, const GenerateOptions& o) {
  auto decoder = std::make_unique<IncrementalDecoder>(model, o.context);
  if (o.probe_layer >= 0) decoder->set_attention_probe(o.probe_layer, o.probe_head);
  return decoder;
}

GenerateResult generate(IncrementalDecoder& decoder, const int32_t* prompt, int64_t n, const GenerateOptions& o,
                        uint64_t stream, const std::function<bool(int32_t, int)>& on_token) {
  GenerationSession session(decoder, o, stream);
  GenerateResult r;
  if (o.max_new_tokens == 0) return r;
  session.prefill(prompt, n);
  for (int i = 0;; ++i) {
    const GenerationSession::Step s = session.next();
    r.tokens.push_back(s.token);
    if (s.passes_context_limit) r.passes_context_limit_at = i;
    if (on_token && !on_token(s.token, i)) {
      r.finish = FinishReason::kCallback;
      return r;
    }
    if (s.finish != FinishReason::kNone) {
      r.finish = s.finish;
      return r;
    }
  }
}

}  // namespace lst
