#include "model/attention_layer.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "kernels/layernorm.h"
#include "kernels/rotary.h"
#include "runtime/thread_pool.h"

namespace lst {

namespace {
// Below this many multiply-adds a job runs on the calling thread: waking the
// pool costs tens of microseconds, more than a decode step's attention.
constexpr double kParallelMacs = 1 << 20;

template <typename F>
void run_tasks(ThreadPool& pool, size_t tasks, double macs_per_task, const F& fn) {
  if (static_cast<double>(tasks) * macs_per_task < kParallelMacs)
    fn(size_t{0}, tasks);
  else
    pool.parallel_for(tasks, fn, 1);
}
}  // namespace

AttentionRule attention_rule(const Config& c) {
  AttentionRule rule;
  rule.causal = c.causal;
  rule.window = c.window_size;
  rule.segment_size = c.causal ? c.segment_size : 1;
  rule.r = c.r;
  return rule;
}

void long_short_attention_forward(float* out, float* qkv, const LayerRows& rows, const Config& c,
                                  const LayerWeights& w, LayerKeyValues& kv, AttentionScratch& s,
                                  ThreadPool& pool, AttentionProbe* probe) {
  const size_t H = c.heads, dh = c.dim_head, inner = c.inner(), half = dh / 2;
  const size_t stride = 2 * inner;  // qkv row: [q (inner) | kv (inner)]
  const int64_t pos0 = rows.pos0, end = rows.end(), P = end - pos0;
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  LST_CHECK(kv.end == pos0, "attention: the key cache ends at ", kv.end, ", the new rows start at ", pos0);
  LST_CHECK(c.causal || pos0 == 0, "attention: a non-causal layer is computed over whole sequences");
  kv.extend(end, c);

  // 4.3 rotary on q and kv (absolute positions), 4.4 scale q; the keys:
  // rotated raw kv (input of 4.6) and 4.5 LayerNorm_local(kv).
  s.cos_t.resize(P * half);
  s.sin_t.resize(P * half);
  rotary_tables(s.cos_t.data(), s.sin_t.data(), pos0, P, w.rotary_freqs.data(), half);
  pool.parallel_for(P, [&](size_t r0, size_t r1) {
    for (size_t i = r0; i < r1; ++i) {
      float* row = qkv + i * stride;  // (2*inner)
      // data() + offset, not &v[i]: with dh = 1 there is nothing to rotate and the tables are empty.
      rotary_apply(row, stride, 1, 2 * H, dh, s.cos_t.data() + i * half, s.sin_t.data() + i * half, half);
      for (size_t j = 0; j < inner; ++j) row[j] *= scale;
      const int64_t pos = pos0 + static_cast<int64_t>(i);
      std::copy(row + inner, row + 2 * inner, kv.raw_row(pos, c));
      layernorm_forward(kv.local_row(pos, c), dh, row + inner, dh, w.local_norm_w.data(),
                        w.local_norm_b.data(), H, dh);
    }
  }, 16);

  // 4.6 global tokens of the blocks the new rows complete: causal, the
  // segments g with (g+1)*s - 1 in [pos0, end); non-causal, the one block of
  // the whole sequence.
  const int64_t block_rows = c.causal ? c.segment_size : end;
  const int64_t g0 = c.causal ? pos0 / block_rows : 0, g1 = end / block_rows;
  const size_t R = c.r, blocks = static_cast<size_t>(g1 - g0);
  kv.resize_global(g1 * R, c);
  run_tasks(pool, H * blocks, double(block_rows) * R * dh * 2, [&](size_t b0, size_t b1) {
    std::vector<float> scratch(dynamic_projection_scratch(block_rows, R));
    for (size_t hb = b0; hb < b1; ++hb) {
      const size_t h = hb / blocks;
      const int64_t g = g0 + static_cast<int64_t>(hb % blocks), row0 = g * block_rows;
      float* tokens = &kv.global[h][g * R * dh];  // (R, dh)
      dynamic_projection(tokens, dh, kv.raw_row(row0, c) + h * dh, inner, block_rows,
                         w.to_dynamic_proj.data(), R, dh, rows.mask ? rows.mask + row0 : nullptr,
                         scratch.data());
      layernorm_forward(tokens, dh, tokens, dh, w.global_norm_w.data(), w.global_norm_b.data(),
                        R, dh);
    }
  });

  // 4.7-4.9 per head and window of the new rows: softmax over [global | local].
  const AttentionRule rule = attention_rule(c);
  const int64_t W = c.window_size;
  const int64_t k0 = pos0 / W, windows = (end - 1) / W + 1 - k0;
  const size_t G = kv.global_count(c);
  const double macs = double(std::min<int64_t>(W, P)) * double(G + rule.local_slots()) * dh * 2;
  run_tasks(pool, H * windows, macs, [&](size_t b0, size_t b1) {
    std::vector<float> scratch;
    for (size_t hw = b0; hw < b1; ++hw) {
      const size_t h = hw / windows;
      const int64_t k = k0 + static_cast<int64_t>(hw % windows);
      const int64_t t0 = std::max(pos0, k * W), t1 = std::min(end, (k + 1) * W);
      const QueryBlock qb{qkv + (t0 - pos0) * stride + h * dh, stride, t0, static_cast<size_t>(t1 - t0)};
      const GlobalKeys gk{kv.global[h].data(), dh, G};
      const LocalKeys lk{kv.local.data() + h * dh, inner, kv.local_pos0, kv.end,
                         rows.mask ? rows.mask + kv.local_pos0 : nullptr, w.local_norm_b.data()};
      scratch.resize(attend_long_short_scratch(rule, qb, gk));
      const bool probed = probe && probe->head == static_cast<int>(h) && t1 == end;
      if (probed) s.probs.resize(scratch.size());
      attend_long_short(out + (t0 - pos0) * inner + h * dh, inner, qb, dh, gk, lk, rule,
                        scratch.data(), probed ? s.probs.data() : nullptr);
      if (probed) {
        // The last row's weights: its visible global tokens, then the local slots.
        const int64_t t = t1 - 1;
        const size_t cols = rule.global_columns(t, G), L = rule.local_slots();
        const float* last = &s.probs[(qb.count - 1) * (cols + L)];
        probe->query_pos = t;
        probe->num_global = static_cast<int64_t>(rule.global_visible(t, G));
        probe->local_first_pos = rule.local_first(t);
        probe->probs.assign(last, last + probe->num_global);
        probe->probs.insert(probe->probs.end(), last + cols, last + cols + L);
      }
    }
  });
}

}  // namespace lst
