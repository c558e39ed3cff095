// Choosing the next token from logits: the reference package's filter_thres top-k rule and
// temperature (docs/SPEC.md §5), plus greedy, top-k, top-p and plain sampling. The
// random numbers come from a counter-based generator, so the same seed gives
// the same tokens natively, in Node and in the browser.
#pragma once
#include <cstdint>
#include <vector>

namespace lst {

// Uniform doubles in [0, 1) from (seed, stream, counter) by splitmix64: no
// state beyond the counter, identical on every platform.
double counter_uniform(uint64_t seed, uint64_t stream, uint64_t counter);

struct SamplingOptions {
  bool do_sample = true;      // false: greedy (argmax)
  double temperature = 1.0;   // <= 0 also means greedy
  double filter_thres = -1;   // the reference package's rule when in [0, 1]: k = int((1 - thres) * V), >= 1
  int top_k = 0;              // 0 = off (applied when filter_thres is not given)
  double top_p = 1.0;         // nucleus: smallest set with probability >= top_p
};

// Throws lst::Error naming a bad option.
void validate(const SamplingOptions& o);

class Sampler {
 public:
  explicit Sampler(const SamplingOptions& options, uint64_t seed = 0, uint64_t stream = 0);
  // Picks a token from logits (V). `step` indexes the random stream, so a
  // run can be replayed from any point.
  int32_t sample(const float* logits, int V, uint64_t step);
  // The reference package's k for a vocabulary: int((1 - filter_thres) * V), at least 1
  // (docs/SPEC.md §6 B5: the reference package yields NaN at k = 0).
  static int reference_top_k(double filter_thres, int V);

 private:
  SamplingOptions o_;
  uint64_t seed_, stream_;
  std::vector<int32_t> idx_;
  std::vector<double> probs_;
};

}  // namespace lst
