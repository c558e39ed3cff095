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

inline float exp_scalar(float x) { return x < -87.3365478515625f ? 0.0f : std::exp(x); }

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
  for (; i < n; ++i) sum += (x[i] = exp_scalar(x[i] - m));
  return sum;
}

// x[i] = exp(x[i] - m[i])
inline void exp_sub_inplace(float* x, const float* m, size_t n) {
  size_t i = 0;
  for (; i + simd::kLanes <= n; i += simd::kLanes)
    simd::store(x + i, simd::exp(simd::sub(simd::load(x + i), simd::load(m + i))));
  for (; i < n; ++i) x[i] = exp_scalar(x[i] - m[i]);
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

size_t attend_block_scratch(size_t count, size_t global_cols, size_t local_slots) {
  return count * (global_cols + local_slots);
}

void attend_long_short_block(float* out, size_t out_stride, const QueryBlock& qb, size_t dh,
                             const GlobalKeys& g, const LocalKeys& l, const float* global_sum,
                             float* scratch) {
  const size_t M = qb.count, Gv = g.visible, L = l.count, ld = Gv + L;
  float* S = scratch;
  // Local slots whose positions lie inside [0, seq_len): [cA, cB).
  const int64_t fp = l.first_pos;
  const size_t cA = static_cast<size_t>(std::clamp<int64_t>(-fp, 0, int64_t(L)));
  const size_t cB = static_cast<size_t>(std::clamp<int64_t>(l.seq_len - fp, 0, int64_t(L)));
  const float* local0 = l.rows + (fp + int64_t(cA) - l.rows_pos0) * int64_t(l.stride);
  if (Gv > 0) gemm_nt(M, Gv, dh, qb.q, qb.stride, g.rows, g.stride, S, ld, false);
  if (cB > cA) gemm_nt(M, cB - cA, dh, qb.q, qb.stride, local0, l.stride, S + Gv + cA, ld, false);

  bool any_uniform = false;
  for (size_t i = 0; i < M; ++i) {
    float* row = S + i * ld;
    const int64_t t = qb.t0 + int64_t(i);
    const size_t gvis = qb.global_visible ? qb.global_visible[i] : Gv;
    for (size_t j = gvis; j < Gv; ++j) row[j] = kMasked;
    float* loc = row + Gv;
    for (size_t c = 0; c < cA; ++c) loc[c] = kMasked;
    for (size_t c = cB; c < L; ++c) loc[c] = kMasked;
    for (size_t c = cA; c < cB; ++c) {
      const int64_t pos = fp + int64_t(c);
      if ((qb.causal && pos > t) || (l.mask && l.mask[pos - l.rows_pos0] == 0)) loc[c] = kMasked;
    }
    const float m = row_max(row, ld);
    if (m == kMasked) {  // fully masked row: fixed up below (SPEC 4.8)
      std::fill(row, row + ld, 0.0f);
      any_uniform = true;
      continue;
    }
    const float sum = exp_shift_sum(row, m, ld);
    const float inv = 1.0f / sum;
    for (size_t j = 0; j < ld; ++j) row[j] *= inv;
  }
  if (Gv > 0)
    gemm_nn(M, dh, Gv, S, ld, g.rows, g.stride, out, out_stride, false);
  else
    for (size_t i = 0; i < M; ++i) std::fill(out + i * out_stride, out + i * out_stride + dh, 0.0f);
  if (cB > cA) gemm_nn(M, dh, cB - cA, S + Gv + cA, ld, local0, l.stride, out, out_stride, true);
  if (!any_uniform) return;
  // Uniform average over every slot: all g.count global rows, the in-range
  // local keys, and the out-of-range slots (= oob_key).
  std::vector<float> avg(dh, 0.0f);
  if (global_sum)
    std::copy(global_sum, global_sum + dh, avg.begin());
  else
    for (size_t j = 0; j < g.count; ++j) simd::axpy(1.0f, g.rows + j * g.stride, avg.data(), dh);
  for (size_t c = cA; c < cB; ++c) simd::axpy(1.0f, local0 + (c - cA) * l.stride, avg.data(), dh);
  simd::axpy(float(L - (cB - cA)), l.oob_key, avg.data(), dh);
  const float w = 1.0f / float(g.count + L);
  for (size_t i = 0; i < M; ++i) {
    if (row_max(S + i * ld, ld) != 0.0f) continue;  // a normal row (probabilities > 0)
    for (size_t d = 0; d < dh; ++d) out[i * out_stride + d] = avg[d] * w;
  }
}

void attend_long_short_row(float* out, const float* q, size_t dh, const GlobalKeys& g,
                           const LocalKeys& l, float* scratch, float* probs) {
  const size_t G = g.count, L = l.count;
  float* s = scratch;
  float m = kMasked;
  for (size_t j = 0; j < G; ++j) {
    s[j] = j < g.visible ? simd::dot(q, g.rows + j * g.stride, dh) : kMasked;
    m = s[j] > m ? s[j] : m;
  }
  auto key_of = [&](int64_t pos) -> const float* {
    if (pos < 0 || pos >= l.seq_len) return l.oob_key;
    return l.rows + (pos - l.rows_pos0) * static_cast<int64_t>(l.stride);
  };
  for (size_t i = 0; i < L; ++i) {
    const int64_t pos = l.first_pos + static_cast<int64_t>(i);
    const bool visible = pos >= 0 && pos < l.seq_len && pos <= l.last_visible &&
                         (l.mask == nullptr || l.mask[pos - l.rows_pos0] != 0);
    s[G + i] = visible ? simd::dot(q, key_of(pos), dh) : kMasked;
    m = s[G + i] > m ? s[G + i] : m;
  }
  std::memset(out, 0, dh * sizeof(float));
  if (m == kMasked) {
    // Every slot masked (SPEC 4.8): uniform over all G + L slots, out-of-range
    // windows, invisible segments and future keys included.
    const float w = 1.0f / static_cast<float>(G + L);
    for (size_t j = 0; j < G; ++j) simd::axpy(w, g.rows + j * g.stride, out, dh);
    for (size_t i = 0; i < L; ++i) simd::axpy(w, key_of(l.first_pos + int64_t(i)), out, dh);
    if (probs)
      for (size_t j = 0; j < G + L; ++j) probs[j] = w;
    return;
  }
  float sum = 0.0f;
  for (size_t j = 0; j < G + L; ++j) {
    s[j] = s[j] == kMasked ? 0.0f : std::exp(s[j] - m);
    sum += s[j];
  }
  const float inv = 1.0f / sum;
  for (size_t j = 0; j < G; ++j)
    if (s[j] != 0.0f) simd::axpy(s[j] * inv, g.rows + j * g.stride, out, dh);
  for (size_t i = 0; i < L; ++i)
    if (s[G + i] != 0.0f) simd::axpy(s[G + i] * inv, key_of(l.first_pos + int64_t(i)), out, dh);
  if (probs)
    for (size_t j = 0; j < G + L; ++j) probs[j] = s[j] * inv;
}

}  // namespace lst
