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
#include "kernels/dropout.h"

namespace lst::train {

using lst::DropoutRow;

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

}  // namespace lst::train
