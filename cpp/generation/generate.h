// The seed's generate() (SPEC 5) on a Decoder: sample, append, stop at
// eos_token (included, as the seed), at a stop sequence, or after
// max_new_tokens. Returns the new tokens only.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "generation/sampler.h"
#include "model/decoder.h"

namespace lst {

struct GenerateOptions {
  int max_new_tokens = 256;
  SamplingOptions sampling;
  uint64_t seed = 0;
  int eos_token = -1;                          // < 0: none
  std::vector<std::vector<int32_t>> stop;      // stop sequences (token ids)
};

enum class FinishReason { kLength, kEos, kStop, kCallback };
const char* finish_reason_name(FinishReason r);

struct GenerateResult {
  std::vector<int32_t> tokens;
  FinishReason finish = FinishReason::kLength;
};

// on_token(token, index) may return false to stop (FinishReason::kCallback).
GenerateResult generate(Decoder& decoder, const int32_t* prompt, int64_t n,
                        const GenerateOptions& options, uint64_t stream = 0,
                        const std::function<bool(int32_t, int)>& on_token = nullptr);

}  // namespace lst
