// One Transformer-LS attention layer over one padded sequence (SPEC 4),
// from the normalised input's q/kv projections to the heads' outputs.
// The caller runs the q/kv and to_out GEMMs; this op does everything between.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/config.h"
#include "model/weights.h"

namespace lst {

class ThreadPool;

// Buffers of one sequence's attention, sized for a padded length N.
struct AttentionScratch {
  std::vector<float> cos_t, sin_t;  // (N, dh/2)
  std::vector<float> lkv;           // (N, inner)      LayerNorm_local(kv)
  std::vector<float> gkv;           // (heads, G, dh)  LayerNorm_global(projection)
  std::vector<float> gsum;          // (heads, dh)     sum of each head's global tokens
  void resize(const Config& c, int64_t N);
};

// Number of global tokens for a padded length N: N/s * r causal, r otherwise.
int64_t num_global_tokens(const Config& c, int64_t N);

// qkv: (N, 2*inner) rows [q | kv] straight from the fused projection (pad
// rows zero); rotated and scaled in place. mask: (N) padded mask, 1 = real.
// out: (N, inner) heads concatenated.
void long_short_attention_forward(float* out, float* qkv, const uint8_t* mask, int64_t N,
                                  const Config& c, const LayerWeights& w, AttentionScratch& s,
                                  ThreadPool& pool);

}  // namespace lst
