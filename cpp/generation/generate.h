// The reference package's generate() (docs/SPEC.md §5) on a IncrementalDecoder, one
// token at a time: sample, then stop at eos_token (included, as the
// reference), at a stop sequence, or after max_new_tokens; otherwise advance
// the decoder with the token. The stop rules live here only: the CLI, the
// trainer's samples and the JS token loop (through the bindings) all step a
// GenerationSession.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "generation/generate_options.h"
#include "generation/sampler.h"
#include "model/incremental_decoder.h"

namespace lst {

enum class FinishReason { kNone, kLength, kEos, kStop, kCallback };
// "length", "eos", "stop", "callback"; "" for kNone (still generating).
const char* finish_reason_name(FinishReason r);

class GenerationSession {
 public:
  // `decoder` must outlive the session; `stream` separates the rows of a
  // batch (independent random streams of one seed).
  GenerationSession(IncrementalDecoder& decoder, const GenerateOptions& options, uint64_t stream = 0);

  // Starts from the prompt (n >= 1 token ids).
  void prefill(const int32_t* prompt, int64_t n);

  struct Step {
    int32_t token = -1;
    FinishReason finish = FinishReason::kNone;   // kNone: generation goes on
    // True on the one step after which the context passes max_seq_len in the
    // exact mode (from the next token on, every token re-encodes the window).
    bool passes_context_limit = false;
  };
  // The next token: advances the decoder by the previous one (if any), then
  // samples. Call while the previous step's finish is kNone.
  Step next();

  const std::vector<int32_t>& tokens() const { return tokens_; }   // the new tokens
  const IncrementalDecoder& decoder() const { return decoder_; }

 private:
  IncrementalDecoder& decoder_;
  GenerateOptions options_;
  Sampler sampler_;
  std::vector<int32_t> tokens_;
  const float* logits_ = nullptr;
  int64_t prompt_length_ = 0;
  bool finished_ = false, warned_ = false;
};

struct GenerateResult {
  std::vector<int32_t> tokens;
  FinishReason finish = FinishReason::kLength;
  int passes_context_limit_at = -1;   // the step flagged Step::passes_context_limit, or -1
};

// A IncrementalDecoder for `model` with the options' context mode and attention probe.
std::unique_ptr<IncrementalDecoder> make_decoder(Model& model, const GenerateOptions& options);

// The whole loop; on_token(token, index) may return false to stop
// (FinishReason::kCallback).
GenerateResult generate(IncrementalDecoder& decoder, const int32_t* prompt, int64_t n,
                        const GenerateOptions& options, uint64_t stream = 0,
                        const std::function<bool(int32_t, int)>& on_token = nullptr);

}  // namespace lst
