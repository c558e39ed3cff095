#include "train/attention_train.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

#include <type_traits>

#include "kernels/gemm_strided.h"
#include "kernels/long_short_attention.h"
#include "kernels/simd.h"
#include "kernels/simd_exp.h"
#include "train/ops.h"

namespace lst::train {

int64_t attn_num_global(const Config& c, int64_t N) {
  return c.causal ? N / c.segment_size * c.r : c.r;
}
int64_t attn_num_local_slots(const Config& c) { return (c.causal ? 2 : 3) * int64_t(c.window_size); }
namespace {
// gemm_f32_strided's scratch for one head's products (N, K <= max(G + L, dh, w)).
int64_t attn_gemm_scratch(const Config& c, int64_t N) {
  const size_t wide = std::max<size_t>({size_t(attn_num_global(c, N) + attn_num_local_slots(c)),
                                        size_t(c.dim_head), size_t(c.window_size)});
  return int64_t(gemm_f32_strided_scratch_floats(1, wide, wide));
}
}  // namespace

int64_t attn_scratch_size(const Config& c, int64_t N) {
  // probabilities and dP / dS of one window of queries (2 w (G + L)), the
  // dynamic projection's da (N), a key mask (L), the GEMM's packing
  return 2 * int64_t(c.window_size) * (attn_num_global(c, N) + attn_num_local_slots(c)) + N +
         attn_num_local_slots(c) + attn_gemm_scratch(c, N);
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
  // Global tokens visible to query t (docs/SPEC.md §4.8): segment g once t >= (g+1)s - 1.
  int64_t global_visible(int64_t t) const {
    return c.causal ? (t + 1) / c.segment_size * c.r : G;
  }
  int64_t first_local(int64_t t) const { return (t / W - 1) * W; }
  bool in_range(int64_t pos) const { return pos >= 0 && pos < N; }
  bool local_visible(int64_t t, int64_t pos) const {
    return in_range(pos) && mask[pos] != 0 && (!c.causal || pos <= t);
  }
};

// C (M, N) (+)= op(A) · op(B) inside one head (single-threaded: the heads run
// in parallel). float: gemm_f32_strided on the head's scratch; double: loops.
template <class T>
void head_matmul(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T* A, int64_t lda,
                 const T* B, int64_t ldb, T* C, int64_t ldc, bool accumulate, T* gemm_scratch) {
  if constexpr (std::is_same_v<T, float>) {
    gemm_f32_strided(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, accumulate, nullptr, gemm_scratch);
  } else {
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        T acc = accumulate ? C[i * ldc + j] : T(0);
        for (int64_t k = 0; k < K; ++k)
          acc += (ta ? A[k * lda + i] : A[i * lda + k]) * (tb ? B[j * ldb + k] : B[k * ldb + j]);
        C[i * ldc + j] = acc;
      }
  }
}

// One window of W queries [t0, t0 + W) against its keys: the G global tokens
// and the local slots [lo, hi) of [first, first + L) that lie in the sequence.
// Scores / probabilities are (W, G + L) with row stride ld = G + L.
struct WindowBlock {
  int64_t t0, first, lo, hi, gv_max;
};

template <class T>
WindowBlock window_block(const HeadGeometry<T>& geo, int64_t kb) {
  WindowBlock w;
  w.t0 = kb * geo.W;
  w.first = geo.first_local(w.t0);
  w.lo = std::max<int64_t>(0, -w.first);
  w.hi = std::min<int64_t>(geo.L, geo.N - w.first);
  w.gv_max = geo.global_visible(w.t0 + geo.W - 1);  // grows with t
  return w;
}

// S (W, ld) = q rows of the window · [gkv | local keys]^T, then every slot
// query t may not see set to -inf; rows stay unnormalised. key_mask: (L)
// scratch, the window's additive key mask (0 or -inf).
template <class T>
void window_scores(T* S, int64_t ld, const HeadGeometry<T>& geo, const WindowBlock& w,
                   const T* q, const T* gkv, const T* lkv, T* key_mask, T* gemm_scratch) {
  const int64_t W = geo.W, dh = geo.dh, G = geo.G, L = geo.L, Sq = geo.stride, I = geo.inner;
  const T ninf = -std::numeric_limits<T>::infinity();
  head_matmul<T>(false, true, W, w.gv_max, dh, q + w.t0 * Sq, Sq, gkv, dh, S, ld, false,
                 gemm_scratch);
  head_matmul<T>(false, true, W, w.hi - w.lo, dh, q + w.t0 * Sq, Sq, lkv + (w.first + w.lo) * I,
                 I, S + G + w.lo, ld, false, gemm_scratch);
  for (int64_t j = w.lo; j < w.hi; ++j) key_mask[j] = geo.mask[w.first + j] ? T(0) : ninf;
  for (int64_t i = 0; i < W; ++i) {
    T* s = S + i * ld;
    const int64_t t = w.t0 + i;
    std::fill(s + geo.global_visible(t), s + G, ninf);
    T* sl = s + G;
    std::fill(sl, sl + w.lo, ninf);  // windows outside the sequence
    // causal: keys after t (slot t - first on) are invisible
    const int64_t end = geo.c.causal ? std::min(w.hi, t - w.first + 1) : w.hi;
    for (int64_t j = w.lo; j < end; ++j) sl[j] += key_mask[j];
    std::fill(sl + std::max(end, w.lo), sl + L, ninf);
  }
}

// s[j] = exp(s[j] - m) over n slots (-inf gives 0); returns their sum.
template <class T>
T exp_shifted(T* s, int64_t n, T m) {
  T sum = 0;
  int64_t j = 0;
  if constexpr (std::is_same_v<T, float>) {
    using namespace simd;
    const vf vm = splat(m);
    vf acc = zero();
    for (; j + kLanes <= n; j += kLanes) {
      const vf e = exp(sub(load(s + j), vm));
      store(s + j, e);
      acc = add(acc, e);
    }
    sum = reduce_sum(acc);
  }
  for (; j < n; ++j) sum += (s[j] = std::exp(s[j] - m));
  return sum;
}

}  // namespace

template <class T>
void attention_head_forward(const AttnHead<T>& a, const AttnParams<T>& p, const Config& c,
                            int64_t N, int h, const uint8_t* mask, const T* cos_t,
                            const T* sin_t, T* scratch, const DropoutRow* drop) {
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

  // 4.7-4.9 one softmax per query over [global | local], a window of
  // queries at a time. float: the inference kernel attend_long_short (the
  // one attention kernel of prefill, decode and training), which also
  // leaves the log-sum-exp the backward recomputes the weights from and
  // applies the attention dropout; double: the reference below.
  if constexpr (std::is_same_v<T, float>) {
    const AttentionRule rule{c.causal, c.window_size, c.causal ? c.segment_size : 1, c.r};
    const GlobalKeys gk{a.gkv, size_t(dh), size_t(G)};
    const LocalKeys lk{lkv, size_t(I), 0, N, mask, p.local_norm_b};
    AttentionTrainingSink sink;
    sink.dropout = drop;
    sink.unit_stride = uint64_t(G + L);
    sink.global_units = uint64_t(G);
    for (int64_t t0 = 0; t0 < N; t0 += geo.W) {
      const QueryBlock qb{q + t0 * S, size_t(S), t0, size_t(geo.W)};
      sink.lse = a.lse + t0;
      attend_long_short(out + t0 * I, size_t(I), qb, size_t(dh), gk, lk, rule, scratch, nullptr,
                        &sink);
    }
    return;
  }
  const int64_t W = geo.W, ld = G + L;
  T* P = scratch;                          // (W, ld)
  T* key_mask = scratch + 2 * W * ld + N;  // (L)
  T* gs = key_mask + L;                    // the GEMM's packing
  for (int64_t kb = 0; kb < N / W; ++kb) {
    const WindowBlock w = window_block(geo, kb);
    window_scores(P, ld, geo, w, q, a.gkv, lkv, key_mask, gs);
    bool any_uniform = false;
    for (int64_t i = 0; i < W; ++i) {
      T* s = P + i * ld;
      T m = -std::numeric_limits<T>::infinity();
      for (int64_t j = 0; j < ld; ++j) m = std::max(m, s[j]);
      if (m == -std::numeric_limits<T>::infinity()) {
        // docs/SPEC.md §4.8: no visible key; the row is added below as a uniform mean
        std::fill(s, s + ld, T(0));
        a.lse[w.t0 + i] = m;
        any_uniform = true;
        continue;
      }
      const T sum = exp_shifted(s, ld, m);
      const T inv = T(1) / sum;
      for (int64_t j = 0; j < ld; ++j) s[j] *= inv;
      a.lse[w.t0 + i] = m + std::log(sum);
      if (drop) drop->apply(s, uint64_t(w.t0 + i) * uint64_t(ld), ld);  // after the softmax
    }
    T* o = out + w.t0 * I;
    head_matmul<T>(false, false, W, dh, w.gv_max, P, ld, a.gkv, dh, o, I, false, gs);
    head_matmul<T>(false, false, W, dh, w.hi - w.lo, P + G + w.lo, ld,
                   lkv + (w.first + w.lo) * I, I, o, I, true, gs);
    if (!any_uniform) continue;
    for (int64_t i = 0; i < W; ++i) {
      if (a.lse[w.t0 + i] != -std::numeric_limits<T>::infinity()) continue;
      // uniform over all G + L slots (out-of-range windows are local_norm.bias)
      T* oi = o + i * I;
      const T u = T(1) / T(G + L);
      const uint64_t unit0 = uint64_t(w.t0 + i) * uint64_t(ld);
      auto weight = [&](int64_t slot) { return drop ? u * drop->factor<T>(unit0 + slot) : u; };
      for (int64_t j = 0; j < G; ++j) axpy(weight(j), a.gkv + j * dh, oi, dh);
      for (int64_t j = 0; j < L; ++j) {
        const int64_t pos = w.first + j;
        axpy(weight(G + j), geo.in_range(pos) ? lkv + pos * I : p.local_norm_b, oi, dh);
      }
    }
  }
}

template <class T>
void attention_head_backward(const AttnHead<T>& a, const AttnHeadGrad<T>& g,
                             const AttnParams<T>& p, const Config& c, int64_t N, int h,
                             const uint8_t* mask, const T* cos_t, const T* sin_t, T* scratch,
                             const DropoutRow* drop) {
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

  // 4.7-4.9, a window of queries at a time: P recomputed from the saved
  // log-sum-exp, dP = dout · V^T, dS = P (dP - rowsum(P dP)); then
  // dq = dS K, dK += dS^T q and dV += P^T dout (keys are values: both add).
  const int64_t W = geo.W, ld = G + L;
  T* P = scratch;                          // (W, ld)
  T* dS = scratch + W * ld;                // (W, ld)
  T* key_mask = scratch + 2 * W * ld + N;  // (L)
  T* gs = key_mask + L;                    // the GEMM's packing
  for (int64_t kb = 0; kb < N / W; ++kb) {
    const WindowBlock w = window_block(geo, kb);
    window_scores(P, ld, geo, w, q, a.gkv, lkv, key_mask, gs);
    const T* dout_w = dout + w.t0 * I;
    head_matmul<T>(false, true, W, w.gv_max, dh, dout_w, I, a.gkv, dh, dS, ld, false, gs);
    head_matmul<T>(false, true, W, w.hi - w.lo, dh, dout_w, I, lkv + (w.first + w.lo) * I, I,
                   dS + G + w.lo, ld, false, gs);
    for (int64_t i = 0; i < W; ++i) {
      T* pi = P + i * ld;
      T* di = dS + i * ld;
      const T lse = a.lse[w.t0 + i];
      if (lse == -std::numeric_limits<T>::infinity()) {
        // uniform row: out = mean of every slot; no gradient through the scores
        std::fill(pi, pi + ld, T(0));
        std::fill(di, di + ld, T(0));
        const T u = T(1) / T(G + L);
        const T* dot_ = dout_w + i * I;
        const uint64_t unit0 = uint64_t(w.t0 + i) * uint64_t(ld);
        auto weight = [&](int64_t slot) { return drop ? u * drop->factor<T>(unit0 + slot) : u; };
        for (int64_t j = 0; j < G; ++j) axpy(weight(j), dot_, g.dgkv + j * dh, dh);
        for (int64_t j = 0; j < L; ++j) {
          const int64_t pos = w.first + j;
          axpy(weight(G + j), dot_, geo.in_range(pos) ? dlkv + pos * I : d_local_b, dh);
        }
        continue;
      }
      exp_shifted(pi, ld, lse);  // invisible slots hold -inf: 0
      // With dropout, di holds d(dropped weights): d(weights) = di * mask / (1 - p),
      // and the value products below take the dropped weights.
      if (drop) drop->apply(di, uint64_t(w.t0 + i) * uint64_t(ld), ld);
      T dsum = 0;
      for (int64_t j = 0; j < ld; ++j) dsum += pi[j] * di[j];
      for (int64_t j = 0; j < ld; ++j) di[j] = pi[j] * (di[j] - dsum);
      if (drop) drop->apply(pi, uint64_t(w.t0 + i) * uint64_t(ld), ld);
    }
    T* dq_w = dq + w.t0 * S;
    const T* q_w = q + w.t0 * S;
    const T* lk = lkv + (w.first + w.lo) * I;
    T* dlk = dlkv + (w.first + w.lo) * I;
    const int64_t nl = w.hi - w.lo;
    head_matmul<T>(false, false, W, dh, w.gv_max, dS, ld, a.gkv, dh, dq_w, S, true, gs);
    head_matmul<T>(false, false, W, dh, nl, dS + G + w.lo, ld, lk, I, dq_w, S, true, gs);
    head_matmul<T>(true, false, w.gv_max, dh, W, dS, ld, q_w, S, g.dgkv, dh, true, gs);
    head_matmul<T>(true, false, w.gv_max, dh, W, P, ld, dout_w, I, g.dgkv, dh, true, gs);
    head_matmul<T>(true, false, nl, dh, W, dS + G + w.lo, ld, q_w, S, dlk, I, true, gs);
    head_matmul<T>(true, false, nl, dh, W, P + G + w.lo, ld, dout_w, I, dlk, I, true, gs);
  }

  // LayerNorm_global backward.
  layernorm_backward(g.dgpre, dh, d_global_w, d_global_b, g.dgkv, dh, a.gpre, dh, a.g_mean,
                     a.g_rstd, p.global_norm_w, G, dh);

  // 4.6 dynamic projection backward: g = sum_i prob_i kv_i, prob = softmax(kv Wp^T).
  const int64_t blocks = geo.blocks(), rows = geo.block_rows();
  T* da = scratch;  // (rows)
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
                                            const float*, const float*, float*,
                                            const DropoutRow*);
template void attention_head_forward<double>(const AttnHead<double>&,
                                             const AttnParams<double>&, const Config&, int64_t,
                                             int, const uint8_t*, const double*, const double*,
                                             double*, const DropoutRow*);
template void attention_head_backward<float>(const AttnHead<float>&, const AttnHeadGrad<float>&,
                                             const AttnParams<float>&, const Config&, int64_t,
                                             int, const uint8_t*, const float*, const float*,
                                             float*, const DropoutRow*);
template void attention_head_backward<double>(const AttnHead<double>&,
                                              const AttnHeadGrad<double>&,
                                              const AttnParams<double>&, const Config&, int64_t,
                                              int, const uint8_t*, const double*,
                                              const double*, double*, const DropoutRow*);

}  // namespace lst::train
