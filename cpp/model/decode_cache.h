// What a causal model keeps per layer to add one token at a time (SPEC 6,
// last point). Windows and segments only ever grow at the end, so a new token
// at position t needs: the normalised local keys of windows k-1 and k
// (k = t / w), the global tokens of the completed segments, and the rotated
// raw keys of the segment in progress (projected when it completes).
#pragma once
#include <cstdint>
#include <vector>

#include "model/attention_layer.h"
#include "model/config.h"

namespace lst {

struct LayerCache {
  int64_t local_pos0 = 0;                  // position of local row 0
  std::vector<float> local;                // (rows, inner) LayerNorm_local(kv), positions [local_pos0, length)
  std::vector<float> segment_kv;           // (rows, inner) rotated kv of the segment in progress
  std::vector<std::vector<float>> global;  // per head: (G, dh) LayerNorm_global'ed segment tokens
};

struct DecodeCache {
  int64_t length = 0;  // positions encoded (the next token goes at `length`)
  std::vector<LayerCache> layers;

  void reset(const Config& c);
  // Called by Model::forward_sequence after layer l's attention over n
  // tokens padded to N: keeps what positions >= n will need.
  void capture_layer(size_t l, const float* qkv, const AttentionScratch& s, int64_t n, int64_t N,
                     const Config& c);
  // Bytes held (grows with the context: O(w + n/s * r) per layer and head).
  size_t bytes() const;
};

}  // namespace lst
