#include "train/attention_train.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

#include "train/ops.h"

namespace lst::train {

int64_t attn_num_global(const Config& c, int64_t N) {
  return c.causal ? N / c.segment_size * c.r : c.r;
}
int64_t attn_num_local_slots(const Config& c) { return (c.causal ? 2 : 3) * int64_t(c.window_size); }
int64_t attn_scratch_size(const Config& c, int64_t N) {
  // scores and dP of one query (2 (G + L)), or the dynamic projection's da (N)
  return 2 * (attn_num_global(c, N) + attn_num_local_slots(c)) + N;
}

namespace {

// The geometry of one (sequence, head): strides, slot lists, visibility.
template <class T>
struct HeadGeometry {
  const Config& c;
  int64_t N, G, L, W, dh, inner, stride;  // stride of a qkv row
  int h;
  const uint8_t* mask;

  HeadGeometry(const Config& cfg, int64_t n_pad, int head, const uint8_t* m)
      : c(cfg), N(n_pad), G(attn_num_global(cfg, n_pad)), L(attn_num_local_slots(cfg)),
        W(cfg.window_size), dh(cfg.dim_head), inner(cfg.inner()), stride(2 * cfg.inner()),
        h(head), mask(m) {}

  int64_t blocks() const { return c.causal ? N / c.segment_size : 1; }
  int64_t block_rows() const { return c.causal ? c.segment_size : N; }
  // Global tokens visible to query t (SPEC 4.8): segment g once t >= (g+1)s - 1.
  int64_t global_visible(int64_t t) const {
    return c.causal ? (t + 1) / c.segment_size * c.r : G;
  }
  int64_t first_local(int64_t t) const { return (t / W - 1) * W; }
  bool in_range(int64_t pos) const { return pos >= 0 && pos < N; }
  bool local_visible(int64_t t, int64_t pos) const {
    return in_range(pos) && mask[pos] != 0 && (!c.causal || pos <= t);
  }
};

}  // namespace

template <class T>
void attention_head_forward(const AttnHead<T>& a, const AttnParams<T>& p, const Config& c,
                            int64_t N, int h, const uint8_t* mask, const T* cos_t,
                            const T* sin_t, T* scratch) {
  const HeadGeometry<T> geo(c, N, h, mask);
  const int64_t dh = geo.dh, S = geo.stride, I = geo.inner, G = geo.G, L = geo.L;
  const size_t half = dh / 2;
  T* q = a.qkv + h * dh;        // row t at q + t*S
  T* kv = a.qkv + I + h * dh;   // row t at kv + t*S
  T* lkv = a.lkv + h * dh;      // row t at lkv + t*I
  T* out = a.out + h * dh;

  // 4.3 rotary on q and kv, 4.4 q scaling, 4.5 local LayerNorm.
  rotary_rows(q, S, N, dh, cos_t, sin_t, half, false);
  rotary_rows(kv, S, N, dh, cos_t, sin_t, half, false);
  const T scale = T(1) / std::sqrt(T(dh));
  for (int64_t t = 0; t < N; ++t)
    for (int64_t i = 0; i < dh; ++i) q[t * S + i] *= scale;
  layernorm_forward(lkv, I, a.lkv_mean, a.lkv_rstd, kv, S, p.local_norm_w, p.local_norm_b, N,
                    dh);

  // 4.6 dynamic projection: softmax over the rows of each block, per column.
  const int64_t R = c.r, blocks = geo.blocks(), rows = geo.block_rows();
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t row0 = blk * rows;
    bool any_real = false;
    for (int64_t i = 0; i < rows; ++i) any_real |= mask[row0 + i] != 0;
    for (int64_t col = 0; col < R; ++col) {
      T* prob = a.proj_prob + (blk * R + col) * rows;
      const T* wp = p.to_dynamic_proj + col * dh;
      if (!any_real) {
        // fully masked block: every logit is -FLT_MAX, softmax is uniform
        std::fill(prob, prob + rows, T(1) / T(rows));
      } else {
        T m = -std::numeric_limits<T>::infinity();
        for (int64_t i = 0; i < rows; ++i)
          if (mask[row0 + i]) m = std::max(m, prob[i] = dot(kv + (row0 + i) * S, wp, dh));
        T sum = 0;
        for (int64_t i = 0; i < rows; ++i)
          sum += (prob[i] = mask[row0 + i] ? std::exp(prob[i] - m) : T(0));
        const T inv = T(1) / sum;
        for (int64_t i = 0; i < rows; ++i) prob[i] *= inv;
      }
      T* g = a.gpre + (blk * R + col) * dh;
      std::fill(g, g + dh, T(0));
      for (int64_t i = 0; i < rows; ++i)
        if (prob[i] != T(0)) axpy(prob[i], kv + (row0 + i) * S, g, dh);
    }
  }
  layernorm_forward(a.gkv, dh, a.g_mean, a.g_rstd, a.gpre, dh, p.global_norm_w,
                    p.global_norm_b, G, dh);

  // 4.7-4.9 one softmax per query over [global | local].
  T* s = scratch;
  for (int64_t t = 0; t < N; ++t) {
    const T* qt = q + t * S;
    T* o = out + t * I;
    std::fill(o, o + dh, T(0));
    const int64_t gv = geo.global_visible(t), first = geo.first_local(t);
    T m = -std::numeric_limits<T>::infinity();
    for (int64_t j = 0; j < gv; ++j) m = std::max(m, s[j] = dot(qt, a.gkv + j * dh, dh));
    for (int64_t i = 0; i < L; ++i) {
      const int64_t pos = first + i;
      if (geo.local_visible(t, pos)) m = std::max(m, s[G + i] = dot(qt, lkv + pos * I, dh));
    }
    if (m == -std::numeric_limits<T>::infinity()) {
      // SPEC 4.8: no visible key, uniform over all G + L slots.
      const T w = T(1) / T(G + L);
      for (int64_t j = 0; j < G; ++j) axpy(w, a.gkv + j * dh, o, dh);
      for (int64_t i = 0; i < L; ++i) {
        const int64_t pos = first + i;
        axpy(w, geo.in_range(pos) ? lkv + pos * I : p.local_norm_b, o, dh);
      }
      a.lse[t] = -std::numeric_limits<T>::infinity();
      continue;
    }
    T sum = 0;
    for (int64_t j = 0; j < gv; ++j) sum += (s[j] = std::exp(s[j] - m));
    for (int64_t i = 0; i < L; ++i)
      if (geo.local_visible(t, first + i)) sum += (s[G + i] = std::exp(s[G + i] - m));
    const T inv = T(1) / sum;
    for (int64_t j = 0; j < gv; ++j) axpy(s[j] * inv, a.gkv + j * dh, o, dh);
    for (int64_t i = 0; i < L; ++i)
      if (geo.local_visible(t, first + i)) axpy(s[G + i] * inv, lkv + (first + i) * I, o, dh);
    a.lse[t] = m + std::log(sum);
  }
}

template <class T>
void attention_head_backward(const AttnHead<T>& a, const AttnHeadGrad<T>& g,
                             const AttnParams<T>& p, const Config& c, int64_t N, int h,
                             const uint8_t* mask, const T* cos_t, const T* sin_t, T* scratch) {
  const HeadGeometry<T> geo(c, N, h, mask);
  const int64_t dh = geo.dh, S = geo.stride, I = geo.inner, G = geo.G, L = geo.L, R = c.r;
  const size_t half = dh / 2;
  const T* q = a.qkv + h * dh;
  const T* kv = a.qkv + I + h * dh;
  const T* lkv = a.lkv + h * dh;
  const T* dout = g.dout + h * dh;
  T* dq = g.dqkv + h * dh;
  T* dkv = g.dqkv + I + h * dh;
  T* dlkv = g.dlkv + h * dh;
  T* d_local_w = g.dparams;
  T* d_local_b = d_local_w + dh;
  T* d_global_w = d_local_b + dh;
  T* d_global_b = d_global_w + dh;
  T* d_proj = d_global_b + dh;  // (r, dh)

  std::fill(g.dparams, g.dparams + attn_param_grad_size(c), T(0));
  for (int64_t t = 0; t < N; ++t) {
    std::fill(dq + t * S, dq + t * S + dh, T(0));
    std::fill(dkv + t * S, dkv + t * S + dh, T(0));
    std::fill(dlkv + t * I, dlkv + t * I + dh, T(0));
  }
  std::fill(g.dgkv, g.dgkv + G * dh, T(0));
  std::fill(g.dgpre, g.dgpre + G * dh, T(0));

  // 4.7-4.9: softmax rows. Keys are values (tied): both paths add.
  T* s = scratch;
  for (int64_t t = 0; t < N; ++t) {
    const T* qt = q + t * S;
    const T* dot_ = dout + t * I;
    T* dqt = dq + t * S;
    const int64_t gv = geo.global_visible(t), first = geo.first_local(t);
    if (a.lse[t] == -std::numeric_limits<T>::infinity()) {
      // Uniform row: out = mean of every slot; no gradient through the scores.
      const T w = T(1) / T(G + L);
      for (int64_t j = 0; j < G; ++j) axpy(w, dot_, g.dgkv + j * dh, dh);
      for (int64_t i = 0; i < L; ++i) {
        const int64_t pos = first + i;
        axpy(w, dot_, geo.in_range(pos) ? dlkv + pos * I : d_local_b, dh);
      }
      continue;
    }
    const T lse = a.lse[t];
    // probabilities and dP = dout . value
    T dsum = 0;
    T* dp = s + G + L;  // second half of scratch
    for (int64_t j = 0; j < gv; ++j) {
      const T* k = a.gkv + j * dh;
      s[j] = std::exp(dot(qt, k, dh) - lse);
      dp[j] = dot(dot_, k, dh);
      dsum += s[j] * dp[j];
    }
    for (int64_t i = 0; i < L; ++i) {
      const int64_t pos = first + i;
      if (!geo.local_visible(t, pos)) continue;
      const T* k = lkv + pos * I;
      s[G + i] = std::exp(dot(qt, k, dh) - lse);
      dp[G + i] = dot(dot_, k, dh);
      dsum += s[G + i] * dp[G + i];
    }
    for (int64_t j = 0; j < gv; ++j) {
      const T ds = s[j] * (dp[j] - dsum);
      axpy(ds, a.gkv + j * dh, dqt, dh);
      axpy(ds, qt, g.dgkv + j * dh, dh);
      axpy(s[j], dot_, g.dgkv + j * dh, dh);
    }
    for (int64_t i = 0; i < L; ++i) {
      const int64_t pos = first + i;
      if (!geo.local_visible(t, pos)) continue;
      const T ds = s[G + i] * (dp[G + i] - dsum);
      axpy(ds, lkv + pos * I, dqt, dh);
      axpy(ds, qt, dlkv + pos * I, dh);
      axpy(s[G + i], dot_, dlkv + pos * I, dh);
    }
  }

  // LayerNorm_global backward.
  layernorm_backward(g.dgpre, dh, d_global_w, d_global_b, g.dgkv, dh, a.gpre, dh, a.g_mean,
                     a.g_rstd, p.global_norm_w, G, dh);

  // 4.6 dynamic projection backward: g = sum_i prob_i kv_i, prob = softmax(kv Wp^T).
  const int64_t blocks = geo.blocks(), rows = geo.block_rows();
  T* da = s;  // rows
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t row0 = blk * rows;
    bool any_real = false;
    for (int64_t i = 0; i < rows; ++i) any_real |= mask[row0 + i] != 0;
    for (int64_t col = 0; col < R; ++col) {
      const T* prob = a.proj_prob + (blk * R + col) * rows;
      const T* dgc = g.dgpre + (blk * R + col) * dh;
      const T* wp = p.to_dynamic_proj + col * dh;
      T dsum = 0;
      for (int64_t i = 0; i < rows; ++i) {
        if (prob[i] == T(0)) continue;
        const T* k = kv + (row0 + i) * S;
        da[i] = dot(dgc, k, dh);
        dsum += prob[i] * da[i];
        axpy(prob[i], dgc, dkv + (row0 + i) * S, dh);  // value path
      }
      if (!any_real) continue;  // uniform block: masked logits carry no gradient
      for (int64_t i = 0; i < rows; ++i) {
        if (!mask[row0 + i] || prob[i] == T(0)) continue;
        const T dz = prob[i] * (da[i] - dsum);
        axpy(dz, kv + (row0 + i) * S, d_proj + col * dh, dh);
        axpy(dz, wp, dkv + (row0 + i) * S, dh);
      }
    }
  }

  // 4.5 local LayerNorm backward (out-of-range slots went to d_local_b above).
  layernorm_backward(dkv, S, d_local_w, d_local_b, dlkv, I, kv, S, a.lkv_mean, a.lkv_rstd,
                     p.local_norm_w, N, dh);

  // 4.4 scaling and 4.3 rotary: q = scale * R q0, kv = R kv0.
  const T scale = T(1) / std::sqrt(T(dh));
  for (int64_t t = 0; t < N; ++t)
    for (int64_t i = 0; i < dh; ++i) dq[t * S + i] *= scale;
  rotary_rows(dq, S, N, dh, cos_t, sin_t, half, true);
  rotary_rows(dkv, S, N, dh, cos_t, sin_t, half, true);
}

template void attention_head_forward<float>(const AttnHead<float>&, const AttnParams<float>&,
                                            const Config&, int64_t, int, const uint8_t*,
                                            const float*, const float*, float*);
template void attention_head_forward<double>(const AttnHead<double>&,
                                             const AttnParams<double>&, const Config&, int64_t,
                                             int, const uint8_t*, const double*, const double*,
                                             double*);
template void attention_head_backward<float>(const AttnHead<float>&, const AttnHeadGrad<float>&,
                                             const AttnParams<float>&, const Config&, int64_t,
                                             int, const uint8_t*, const float*, const float*,
                                             float*);
template void attention_head_backward<double>(const AttnHead<double>&,
                                              const AttnHeadGrad<double>&,
                                              const AttnParams<double>&, const Config&, int64_t,
                                              int, const uint8_t*, const double*,
                                              const double*, double*);

}  // namespace lst::train
