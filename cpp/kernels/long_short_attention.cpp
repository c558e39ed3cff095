#include "kernels/long_short_attention.h"

#include <cfloat>
#include <cmath>
#include <cstring>
#include <algorithm>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/simd.h"
#include "kernels/simd_exp.h"

namespace lst {

namespace {
constexpr float kMasked = -FLT_MAX;  // the seed's masked_fill value

// max of x[0, n)
inline float row_max(const float* x, size_t n) {
  simd::vf m = simd::splat(kMasked);
  size_t i = 0;
  for (; i + simd::kLanes <= n; i += simd::kLanes) m = simd::max(m, simd::load(x + i));
  float r = simd::reduce_max(m);
  for (; i < n; ++i) r = x[i] > r ? x[i] : r;
  return r;
}

// a * b + c rounded as simd::madd rounds on this target: fused with AVX2/FMA,
// twice otherwise (no FMA there for a compiler to contract into).
inline float madd_scalar(float a, float b, float c) {
#if LST_SIMD_AVX2
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}

// x[i] = exp(x[i]) for the n < kLanes floats of a row's tail, through the
// vector exp too: every element of a row gets the same exp, wherever it lies.
inline void exp_partial(float* x, size_t n) {
  alignas(64) float lanes[simd::kLanes] = {};
  std::copy(x, x + n, lanes);
  simd::store(lanes, simd::exp(simd::load(lanes)));
  std::copy(lanes, lanes + n, x);
}

// x[i] = exp(x[i] - m); returns the sum.
inline float exp_shift_sum(float* x, float m, size_t n) {
  const simd::vf vm = simd::splat(m);
  simd::vf acc = simd::zero();
  size_t i = 0;
  for (; i + simd::kLanes <= n; i += simd::kLanes) {
    simd::vf e = simd::exp(simd::sub(simd::load(x + i), vm));
    simd::store(x + i, e);
    acc = simd::add(acc, e);
  }
  float sum = simd::reduce_sum(acc);
  if (i < n) {
    for (size_t j = i; j < n; ++j) x[j] -= m;
    exp_partial(x + i, n - i);
    for (; i < n; ++i) sum += x[i];
  }
  return sum;
}

// x[i] = exp(x[i] - m[i])
inline void exp_sub_inplace(float* x, const float* m, size_t n) {
  size_t i = 0;
  for (; i + simd::kLanes <= n; i += simd::kLanes)
    simd::store(x + i, simd::exp(simd::sub(simd::load(x + i), simd::load(m + i))));
  if (i < n) {
    for (size_t j = i; j < n; ++j) x[j] -= m[j];
    exp_partial(x + i, n - i);
  }
}
}  // namespace

size_t dynamic_projection_scratch(size_t rows, size_t r) { return rows * r + 2 * r; }

void dynamic_projection(float* out, size_t out_stride, const float* kv, size_t kv_stride,
                        size_t rows, const float* Wp, size_t r, size_t dh,
                        const uint8_t* row_mask, float* scratch) {
  // p = kv · Wp^T (rows, r), softmax down each column, out = p^T · kv.
  float* p = scratch;
  float* col_max = scratch + rows * r;
  float* col_sum = col_max + r;
  gemm_nt(rows, r, dh, kv, kv_stride, Wp, dh, p, r, false);
  for (size_t c = 0; c < r; ++c) {
    col_max[c] = kMasked;
    col_sum[c] = 0.0f;
  }
  for (size_t i = 0; i < rows; ++i) {
    float* pi = p + i * r;
    if (row_mask && row_mask[i] == 0)
      for (size_t c = 0; c < r; ++c) pi[c] = kMasked;
    for (size_t c = 0; c < r; ++c) col_max[c] = pi[c] > col_max[c] ? pi[c] : col_max[c];
  }
  // A fully masked column has max -FLT_MAX: every exp(0) = 1, weights 1/rows.
  for (size_t i = 0; i < rows; ++i) {
    float* pi = p + i * r;
    exp_sub_inplace(pi, col_max, r);
    for (size_t c = 0; c < r; ++c) col_sum[c] += pi[c];
  }
  for (size_t c = 0; c < r; ++c) col_sum[c] = 1.0f / col_sum[c];
  for (size_t i = 0; i < rows; ++i)
    for (size_t c = 0; c < r; ++c) p[i * r + c] *= col_sum[c];
  gemm_tn(r, dh, rows, p, r, kv, kv_stride, out, out_stride, false);
}

size_t attend_long_short_scratch(const AttentionRule& rule, const QueryBlock& qb,
                                 const GlobalKeys& g) {
  return qb.count * (rule.global_columns(qb.t0, g.count) + rule.local_slots());
}

void attend_long_short(float* out, size_t out_stride, const QueryBlock& qb, size_t dh,
                       const GlobalKeys& g, const LocalKeys& l, const AttentionRule& rule,
                       float* scratch, float* probs, const AttentionTrainingSink* training) {
  // Score layout of every row of the window: [global_columns | local_slots].
  const size_t M = qb.count, L = rule.local_slots();
  const size_t cols = rule.global_columns(qb.t0, g.count);
  const size_t gk = std::min(cols, g.count);  // global columns whose tokens exist
  const size_t ld = cols + L;
  float* S = scratch;  // (M, ld)
  // Local slots whose positions have keys, [0, seq_len): slots [cA, cB).
  const int64_t fp = rule.local_first(qb.t0);
  const size_t cA = static_cast<size_t>(std::clamp<int64_t>(-fp, 0, int64_t(L)));
  const size_t cB =
      std::max(cA, static_cast<size_t>(std::clamp<int64_t>(l.seq_len - fp, 0, int64_t(L))));
  const float* local0 = l.rows + (fp + int64_t(cA) - l.rows_pos0) * int64_t(l.stride);  // (cB - cA, dh)
  // Scores q·k. A decode step's row has fewer columns than the same row in
  // a full window, so it takes other paths through gemm_nt; the vector part
  // of a dot product (dv = dh rounded down to whole vectors) is the same on
  // every path, and the last dh % kLanes terms are added here, in order, so
  // that no compiler choice (fusing a tail's multiply-adds or not) differs.
  const size_t dv = dh / simd::kLanes * simd::kLanes;
  auto scores = [&](const float* keys, size_t key_stride, size_t n, float* S0) {  // S0: (M, n) stride ld
    gemm_nt(M, n, dv, qb.q, qb.stride, keys, key_stride, S0, ld, false);
    for (size_t i = 0; i < M && dv < dh; ++i)
      for (size_t j = 0; j < n; ++j) {
        float acc = S0[i * ld + j];
        for (size_t d = dv; d < dh; ++d) acc = madd_scalar(qb.q[i * qb.stride + d], keys[j * key_stride + d], acc);
        S0[i * ld + j] = acc;
      }
  };
  if (gk > 0) scores(g.rows, g.stride, gk, S);
  if (cB > cA) scores(local0, l.stride, cB - cA, S + cols + cA);

  const DropoutRow* drop = training ? training->dropout : nullptr;
  auto unit0 = [&](int64_t t) { return uint64_t(t) * training->unit_stride; };
  std::vector<uint8_t> uniform;  // rows with no visible key (rare: allocated then)
  bool any_uniform = false;
  for (size_t i = 0; i < M; ++i) {
    float* row = S + i * ld;
    const int64_t t = qb.t0 + int64_t(i);
    for (size_t j = rule.global_visible(t, gk); j < cols; ++j) row[j] = kMasked;
    float* loc = row + cols;
    for (size_t c = 0; c < cA; ++c) loc[c] = kMasked;
    for (size_t c = cB; c < L; ++c) loc[c] = kMasked;
    for (size_t c = cA; c < cB; ++c) {
      const int64_t pos = fp + int64_t(c);
      if (!rule.local_visible(pos, t) || (l.mask && l.mask[pos - l.rows_pos0] == 0)) loc[c] = kMasked;
    }
    const float m = row_max(row, ld);
    if (m == kMasked) {  // fully masked row: fixed up below (docs/SPEC.md §4.8)
      std::fill(row, row + ld, 0.0f);
      if (uniform.empty()) uniform.assign(M, 0);
      uniform[i] = 1;
      any_uniform = true;
      if (training && training->lse) training->lse[i] = -INFINITY;
      continue;
    }
    const float sum = exp_shift_sum(row, m, ld);
    const float inv = 1.0f / sum;
    for (size_t j = 0; j < ld; ++j) row[j] *= inv;
    if (training && training->lse) training->lse[i] = m + std::log(sum);
    if (drop) {  // the seed's attn_dropout, on the weights after the softmax
      drop->apply(row, unit0(t), int64_t(cols));
      drop->apply(row + cols, unit0(t) + training->global_units, int64_t(L));
    }
  }
  // P·V, global tokens then local keys. A decode step's row stops its
  // reductions earlier than the same row in a full window (tokens and keys
  // that do not exist yet), where the weights are 0. gemm_nn's vector
  // columns add 0·v exactly (one madd per term, whatever K); its scalar
  // columns do not promise that (the compiler fuses their multiply-adds or
  // not depending on the trip count), so the last dh % kLanes columns are
  // summed here, skipping zero weights.
  if (M == 1) {
    // One row (a decode step): one axpy per nonzero weight, which is
    // gemm_nn's tile element by element (out = madd(p_j, v_j, out) in the
    // order of j) minus its 0·v terms.
    std::fill(out, out + dv, 0.0f);
    for (size_t j = 0; j < gk; ++j)
      if (S[j] != 0.0f) simd::axpy(S[j], g.rows + j * g.stride, out, dv);
    for (size_t c = cA; c < cB; ++c)
      if (S[cols + c] != 0.0f) simd::axpy(S[cols + c], local0 + (c - cA) * l.stride, out, dv);
  } else {
    if (gk > 0)
      gemm_nn(M, dv, gk, S, ld, g.rows, g.stride, out, out_stride, false);
    else
      for (size_t i = 0; i < M; ++i) std::fill(out + i * out_stride, out + i * out_stride + dv, 0.0f);
    if (cB > cA) gemm_nn(M, dv, cB - cA, S + cols + cA, ld, local0, l.stride, out, out_stride, true);
  }
  for (size_t i = 0; i < M && dv < dh; ++i) {
    const float* p = S + i * ld;  // (ld)
    for (size_t d = dv; d < dh; ++d) {
      float acc = 0.0f;
      for (size_t j = 0; j < gk; ++j)
        if (p[j] != 0.0f) acc = madd_scalar(p[j], g.rows[j * g.stride + d], acc);
      for (size_t c = cA; c < cB; ++c)
        if (p[cols + c] != 0.0f) acc = madd_scalar(p[cols + c], local0[(c - cA) * l.stride + d], acc);
      out[i * out_stride + d] = acc;
    }
  }
  if (probs) std::copy(S, S + M * ld, probs);
  if (!any_uniform) return;
  // Uniform average over every slot: all g.count global tokens, the local
  // keys in range, and the out-of-range slots (= oob_key).
  std::vector<float> avg(dh, 0.0f);
  for (size_t j = 0; j < g.count; ++j) simd::axpy(1.0f, g.rows + j * g.stride, avg.data(), dh);
  for (size_t c = cA; c < cB; ++c) simd::axpy(1.0f, local0 + (c - cA) * l.stride, avg.data(), dh);
  simd::axpy(float(L - (cB - cA)), l.oob_key, avg.data(), dh);
  const float w = 1.0f / float(g.count + L);
  for (size_t i = 0; i < M; ++i) {
    if (!uniform[i]) continue;
    float* o = out + i * out_stride;
    if (probs) std::fill(probs + i * ld, probs + (i + 1) * ld, w);
    if (!drop) {
      for (size_t d = 0; d < dh; ++d) o[d] = avg[d] * w;
      continue;
    }
    // With dropout every slot has its own multiplier: sum them one by one.
    const uint64_t u0 = unit0(qb.t0 + int64_t(i));
    std::fill(o, o + dh, 0.0f);
    for (size_t j = 0; j < g.count; ++j)
      simd::axpy(w * drop->factor<float>(u0 + j), g.rows + j * g.stride, o, dh);
    for (size_t c = 0; c < L; ++c) {
      const float* key = c >= cA && c < cB ? local0 + (c - cA) * l.stride : l.oob_key;
      simd::axpy(w * drop->factor<float>(u0 + training->global_units + c), key, o, dh);
    }
  }
}

}  // namespace lst
