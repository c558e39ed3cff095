#include "model/attention_layer.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/layernorm.h"
#include "kernels/long_short_attention.h"
#include "kernels/rotary.h"
#include "runtime/thread_pool.h"

namespace lst {

int64_t num_global_tokens(const Config& c, int64_t N) {
  return c.causal ? N / c.segment_size * c.r : c.r;
}

void AttentionScratch::resize(const Config& c, int64_t N) {
  const size_t half = c.dim_head / 2;
  cos_t.resize(N * half);
  sin_t.resize(N * half);
  lkv.resize(N * c.inner());
  gkv.resize(c.heads * num_global_tokens(c, N) * c.dim_head);
}

void long_short_attention_forward(float* out, float* qkv, const uint8_t* mask, int64_t N,
                                  const Config& c, const LayerWeights& w, AttentionScratch& s,
                                  ThreadPool& pool) {
  const size_t H = c.heads, dh = c.dim_head, inner = c.inner(), half = dh / 2;
  const size_t stride = 2 * inner;  // qkv row: [q (inner) | kv (inner)]
  const int64_t W = c.window_size;
  const int64_t G = num_global_tokens(c, N);
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  s.resize(c, N);

  // 4.3 rotary on q and kv (positions 0..N-1), 4.4 scale q, 4.5 local norm.
  rotary_tables(s.cos_t.data(), s.sin_t.data(), 0, N, w.rotary_freqs.data(), half);
  pool.parallel_for(N, [&](size_t r0, size_t r1) {
    for (size_t t = r0; t < r1; ++t) {
      float* row = qkv + t * stride;
      rotary_apply(row, stride, 1, 2 * H, dh, &s.cos_t[t * half], &s.sin_t[t * half], half);
      for (size_t i = 0; i < inner; ++i) row[i] *= scale;
      layernorm_forward(&s.lkv[t * inner], dh, row + inner, dh, w.local_norm_w.data(),
                        w.local_norm_b.data(), H, dh);
    }
  }, 16);

  // 4.6 global tokens from the rotated, un-normalised kv.
  const int64_t blocks = c.causal ? N / c.segment_size : 1;
  const int64_t block_rows = c.causal ? c.segment_size : N;
  const size_t R = c.r;
  pool.parallel_for(H * blocks, [&](size_t b0, size_t b1) {
    std::vector<float> scratch(dynamic_projection_scratch(block_rows, R));
    for (size_t hb = b0; hb < b1; ++hb) {
      const size_t h = hb / blocks, blk = hb % blocks;
      const int64_t row0 = blk * block_rows;
      float* g = &s.gkv[(h * G + blk * R) * dh];
      dynamic_projection(g, dh, qkv + row0 * stride + inner + h * dh, stride, block_rows,
                         w.to_dynamic_proj.data(), R, dh, mask + row0, scratch.data());
      layernorm_forward(g, dh, g, dh, w.global_norm_w.data(), w.global_norm_b.data(), R, dh);
    }
  });
  // Sum of each head's global tokens, for fully masked rows (SPEC 4.8).
  s.gsum.assign(H * dh, 0.0f);
  for (size_t h = 0; h < H; ++h)
    for (int64_t j = 0; j < G; ++j)
      for (size_t d = 0; d < dh; ++d) s.gsum[h * dh + d] += s.gkv[(h * G + j) * dh + d];

  // 4.7-4.9 per window of queries: softmax over [global | local windows].
  const int64_t num_windows = N / W;
  const int64_t look_ahead = c.causal ? 0 : 1;
  const size_t L = static_cast<size_t>((2 + look_ahead) * W);
  pool.parallel_for(H * num_windows, [&](size_t b0, size_t b1) {
    std::vector<float> scratch(attend_block_scratch(W, G, L));
    std::vector<size_t> visible(W);
    for (size_t hw = b0; hw < b1; ++hw) {
      const size_t h = hw / num_windows;
      const int64_t k = hw % num_windows, t0 = k * W;
      GlobalKeys gk{&s.gkv[h * G * dh], dh, static_cast<size_t>(G), static_cast<size_t>(G)};
      QueryBlock qb{qkv + t0 * stride + h * dh, stride, t0, static_cast<size_t>(W), nullptr, c.causal};
      if (c.causal) {
        // segment g is visible to query t once t >= (g+1)*s - 1
        for (int64_t i = 0; i < W; ++i) visible[i] = static_cast<size_t>((t0 + i + 1) / c.segment_size * c.r);
        gk.visible = visible[W - 1];
        qb.global_visible = visible.data();
      }
      LocalKeys lk{&s.lkv[h * dh], inner, 0, (k - 1) * W, L, N, mask,
                   std::numeric_limits<int64_t>::max(), w.local_norm_b.data()};
      attend_long_short_block(out + t0 * inner + h * dh, inner, qb, dh, gk, lk, &s.gsum[h * dh],
                              scratch.data());
    }
  });
}

}  // namespace lst
