// Inverted dropout's multiplier per unit, from a hash instead of a stored
// mask: unit i of a tensor keyed `key` is kept with probability 1 - p and
// then scaled by 1 / (1 - p). A training forward and its backward (or a
// kernel and its test) regenerate the same mask from the same key, on every
// platform and build. The keys are the training layer's business
// (train/dropout.h).
#pragma once
#include <algorithm>
#include <cstdint>

#include "core/splitmix64.h"

namespace lst {

// The multiplier of unit `index` under `key`: 0 (dropped, probability p) or
// 1 / (1 - p). The unit's 32 uniform bits are half of one 64-bit hash.
struct DropoutRow {
  uint64_t key;
  uint32_t threshold;  // drop when bits < threshold = round(p * 2^32)
  float scale;         // 1 / (1 - p)

  DropoutRow(uint64_t k, float p)
      : key(k), threshold(static_cast<uint32_t>(static_cast<double>(p) * 4294967296.0 + 0.5)),
        scale(1.0f / (1.0f - p)) {}
  bool keep(uint64_t index) const {
    const uint64_t h = splitmix64_at(key, index >> 1);
    const uint32_t bits = static_cast<uint32_t>((index & 1) ? h >> 32 : h);
    return bits >= threshold;
  }
  template <class T>
  T factor(uint64_t index) const {
    return keep(index) ? static_cast<T>(scale) : T(0);
  }
  // x[j] *= factor(first + j), j < n. Blocks of whole pairs of units: one
  // loop hashes the block (one 64-bit hash per aligned pair), a second scales
  // it, both without branches so that the compiler vectorises them (a
  // branch per unit, taken with probability p, cost ~2 ns a unit in
  // mispredictions: ~15% of a training step with dropout 0.1). The factor is
  // float(keep) * scale: exactly scale or 0, the same bits as factor().
  template <class T>
  void apply(T* x, uint64_t first, int64_t n) const {
    int64_t j = 0;
    if (n > 0 && (first & 1)) x[j++] *= factor<T>(first);
    constexpr int64_t kPairs = 64;
    uint64_t h[kPairs];
    const T s = static_cast<T>(scale);
    while (j + 1 < n) {
      const int64_t pairs = std::min<int64_t>(kPairs, (n - j) / 2);
      const uint64_t pair0 = (first + uint64_t(j)) >> 1;
      for (int64_t q = 0; q < pairs; ++q) h[q] = splitmix64_at(key, pair0 + uint64_t(q));
      T* y = x + j;
      for (int64_t q = 0; q < pairs; ++q) {
        y[2 * q] *= static_cast<T>(static_cast<uint32_t>(h[q]) >= threshold) * s;
        y[2 * q + 1] *= static_cast<T>(static_cast<uint32_t>(h[q] >> 32) >= threshold) * s;
      }
      j += 2 * pairs;
    }
    if (j < n) x[j] *= factor<T>(first + uint64_t(j));
  }
};

}  // namespace lst
