#include "model/decode_cache.h"

#include <algorithm>

namespace lst {

void DecodeCache::reset(const Config& c) {
  length = 0;
  layers.assign(c.depth, LayerCache{});
  for (auto& L : layers) L.global.assign(c.heads, {});
}

void DecodeCache::capture_layer(size_t l, const float* qkv, const AttentionScratch& s, int64_t n,
                                int64_t N, const Config& c) {
  if (layers.size() != static_cast<size_t>(c.depth)) reset(c);
  LayerCache& L = layers[l];
  const int64_t inner = c.inner(), dh = c.dim_head, W = c.window_size, S = c.segment_size;
  const int64_t G = num_global_tokens(c, N);
  // Local keys of the windows the next position (n) will look at.
  const int64_t k_next = n / W;
  L.local_pos0 = std::max<int64_t>(0, (k_next - 1) * W);
  L.local.assign(s.lkv.begin() + L.local_pos0 * inner, s.lkv.begin() + n * inner);
  // Raw rotated kv of the incomplete segment [n/s*s, n).
  const int64_t seg0 = n / S * S;
  L.segment_kv.clear();
  for (int64_t t = seg0; t < n; ++t) {
    const float* kv = qkv + t * 2 * inner + inner;
    L.segment_kv.insert(L.segment_kv.end(), kv, kv + inner);
  }
  // Global tokens of the completed segments.
  const int64_t done = n / S * c.r;
  L.global.resize(c.heads);
  for (int64_t h = 0; h < c.heads; ++h) {
    const float* g = &s.gkv[h * G * dh];
    L.global[h].assign(g, g + done * dh);
  }
}

size_t DecodeCache::bytes() const {
  size_t n = 0;
  for (auto& L : layers) {
    n += (L.local.size() + L.segment_kv.size()) * sizeof(float);
    for (auto& g : L.global) n += g.size() * sizeof(float);
  }
  return n;
}

}  // namespace lst
