// Inverted dropout's multiplier per unit, from a hash instead of a stored
// mask: unit i of a tensor keyed `key` is kept with probability 1 - p and
// then scaled by 1 / (1 - p). A training forward and its backward (or a
// kernel and its test) regenerate the same mask from the same key, on every
// platform and build. The keys are the training layer's business
// (train/dropout.h).
#pragma once
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
  // x[j] *= factor(first + j), j < n
  template <class T>
  void apply(T* x, uint64_t first, int64_t n) const {
    int64_t j = 0;
    if (n > 0 && (first & 1)) x[j++] *= factor<T>(first);
    for (; j + 1 < n; j += 2) {  // one hash for an aligned pair of units
      const uint64_t h = splitmix64_at(key, (first + uint64_t(j)) >> 1);
      x[j] *= static_cast<uint32_t>(h) >= threshold ? static_cast<T>(scale) : T(0);
      x[j + 1] *= static_cast<uint32_t>(h >> 32) >= threshold ? static_cast<T>(scale) : T(0);
    }
    if (j < n) x[j] *= factor<T>(first + uint64_t(j));
  }
};

}  // namespace lst
