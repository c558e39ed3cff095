// Dropout as the reference package applies it in training (docs/SPEC.md §5.4):
// ff_dropout on the feed-forward's GELU output (net.2), attn_dropout on the
// attention weights after the softmax, kept units scaled by 1 / (1 - p).
//
// The masks are not stored: each unit's keep bit is a hash of (the
// micro-batch's seed, a stream naming the tensor, the unit's index), so the
// backward regenerates exactly the forward's mask, and a seeded run repeats
// bit for bit on every platform and build (native, wasm), across --resume.
#pragma once
#include <cstdint>

#include "core/splitmix64.h"

namespace lst::train {

struct DropoutMasks {
  float ff = 0, attn = 0;  // probabilities in [0, 1); 0 = off
  uint64_t seed = 0;       // one per micro-batch (Trainer: options.seed, step, micro-batch)

  bool ff_on() const { return ff > 0; }
  bool attn_on() const { return attn > 0; }

  // Key of one tensor's mask: layer l's feed-forward, or (layer l, sequence
  // i, head h)'s attention weights.
  uint64_t ff_key(int64_t l) const { return splitmix64_at(seed, uint64_t(l) * 2); }
  uint64_t attn_key(int64_t l, int64_t i, int64_t h) const {
    return splitmix64_at(splitmix64_at(seed, uint64_t(l) * 2 + 1), uint64_t(i) << 20 | uint64_t(h));
  }
};

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

}  // namespace lst::train
