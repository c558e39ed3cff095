#include "generation/sampler.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/splitmix64.h"

namespace lst {

double counter_uniform(uint64_t seed, uint64_t stream, uint64_t counter) {
  // splitmix64_mix(x + kGoldenGamma): the stream's first output for state x
  const auto hash = [](uint64_t x) { return splitmix64_mix(x + kGoldenGamma); };
  const uint64_t key = hash(seed ^ hash(stream + 0x632be59bd9b4e019ull));
  return static_cast<double>(hash(key + counter) >> 11) * 0x1.0p-53;
}

void validate(const SamplingOptions& o) {
  LST_CHECK(std::isfinite(o.temperature), "temperature must be a finite number");
  LST_CHECK(o.filter_thres < 0 || o.filter_thres <= 1, "filter_thres must be in [0, 1], got ", o.filter_thres);
  LST_CHECK(o.top_k >= 0, "top_k must be >= 0, got ", o.top_k);
  LST_CHECK(o.top_p > 0 && o.top_p <= 1, "top_p must be in (0, 1], got ", o.top_p);
}

int Sampler::seed_top_k(double filter_thres, int V) {
  const int k = static_cast<int>((1.0 - filter_thres) * V);  // Python int(): truncation
  return std::clamp(k, 1, V);
}

Sampler::Sampler(const SamplingOptions& options, uint64_t seed, uint64_t stream)
    : o_(options), seed_(seed), stream_(stream) {
  validate(o_);
}

int32_t Sampler::sample(const float* logits, int V, uint64_t step) {
  for (int i = 0; i < V; ++i)
    LST_CHECK(std::isfinite(logits[i]), "sampling: logit ", i, " is ", logits[i],
              " (not finite: the weights or activations overflow float32)");
  // Candidates sorted by logit, descending; ties keep the lower id first.
  int k = V;
  if (o_.filter_thres >= 0) k = seed_top_k(o_.filter_thres, V);
  else if (o_.top_k > 0) k = std::min(o_.top_k, V);
  const bool greedy = !o_.do_sample || o_.temperature <= 0 || k == 1;
  idx_.resize(V);
  for (int i = 0; i < V; ++i) idx_[i] = i;
  auto by_logit = [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  if (greedy) return *std::min_element(idx_.begin(), idx_.end(), by_logit);
  std::partial_sort(idx_.begin(), idx_.begin() + k, idx_.end(), by_logit);
  idx_.resize(k);
  // softmax(logits / temperature) over the kept candidates, in double.
  probs_.resize(k);
  const double m = logits[idx_[0]];
  double sum = 0;
  for (int i = 0; i < k; ++i) sum += probs_[i] = std::exp((logits[idx_[i]] - m) / o_.temperature);
  int kept = k;
  if (o_.top_p < 1.0) {
    double acc = 0;
    for (kept = 0; kept < k;) {
      acc += probs_[kept++] / sum;
      if (acc >= o_.top_p) break;
    }
    sum = 0;
    for (int i = 0; i < kept; ++i) sum += probs_[i];
  }
  const double u = counter_uniform(seed_, stream_, step) * sum;
  double acc = 0;
  for (int i = 0; i < kept; ++i) {
    acc += probs_[i];
    if (u < acc) return idx_[i];
  }
  return idx_[kept - 1];
}

}  // namespace lst
