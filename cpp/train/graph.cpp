#include "train/graph.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "core/error.h"
#include "kernels/gemm_strided.h"
#include "kernels/simd.h"
#include "runtime/thread_pool.h"
#include "train/attention_train.h"
#include "train/ops.h"

namespace lst::train {

namespace {
// The activations of sequence i, head h (k = i * heads + h) of one layer as
// the attention kernels see them: one layout for forward and backward.
template <class T>
AttnHead<T> head_view(LayerActivations<T>& L, const Config& c, int64_t N, int64_t G, int64_t i,
                      int64_t k) {
  const int64_t I = c.inner(), dh = c.dim_head;
  return AttnHead<T>{L.qkv + i * N * 2 * I,      L.lkv + i * N * I,
                     L.lkv_mean + k * N,         L.lkv_rstd + k * N,
                     L.proj_prob + k * N * c.r,  L.gpre + k * G * dh,
                     L.g_mean + k * G,           L.g_rstd + k * G,
                     L.gkv + k * G * dh,         L.lse + k * N,
                     L.attn + i * N * I};
}

template <class T>
AttnParams<T> attn_params(const LayerParamPtrs<T>& P) {
  return AttnParams<T>{P.to_dynamic_proj, P.local_norm_w, P.local_norm_b, P.global_norm_w,
                       P.global_norm_b};
}
}  // namespace

template <class T>
TrainGraph<T>::TrainGraph(const Config& c, ThreadPool& pool, GemmBackend)
    : c_(c), pool_(pool) {
  c_.validate();
}

template <class T>
void TrainGraph<T>::linear_fwd(T* out, const T* in, const T* W, const T* b, size_t M, size_t I,
                               size_t O) {
  if constexpr (std::is_same_v<T, float>) {
    // out = b (broadcast), then out += in · W^T
    if (b)
      pool_.parallel_for(M, [&](size_t r0, size_t r1) {
        for (size_t r = r0; r < r1; ++r) std::memcpy(out + r * O, b, O * sizeof(float));
      }, 64);
    gemm_f32_strided(false, true, M, O, I, in, I, W, I, out, O, b != nullptr, &pool_,
                     act_.gemm_scratch);
  } else {
    linear_forward(out, in, W, b, M, I, O, act_.wt, pool_);
  }
}

template <class T>
void TrainGraph<T>::linear_bwd(T* din, T* dW, T* db, const T* dout, const T* in, const T* W,
                               size_t M, size_t I, size_t O) {
  if constexpr (std::is_same_v<T, float>) {
    // din (M, I) = dout (M, O) · W (O, I);  dW (O, I) += dout^T · in (M, I)
    gemm_f32_strided(false, false, M, I, O, dout, O, W, I, din, I, false, &pool_,
                     act_.gemm_scratch);
    gemm_f32_strided(true, false, O, I, M, dout, O, in, I, dW, I, true, &pool_,
                     act_.gemm_scratch);
    if (db)  // column sums of dout, columns split over the pool
      pool_.parallel_for(O, [&](size_t o0, size_t o1) {
        for (size_t r = 0; r < M; ++r) simd::axpy(1.0f, dout + r * O + o0, db + o0, o1 - o0);
      }, 64);
  } else {
    linear_backward(din, false, dW, db, dout, in, W, M, I, O, pool_);
  }
}

template <class T>
void TrainGraph<T>::reserve(int64_t b, int64_t n) {
  if (act_.B != b || act_.n != n) act_.allocate(c_, b, n, pool_.num_threads());
}

template <class T>
size_t TrainGraph<T>::activation_bytes(const Config& c, int64_t b, int64_t n, int threads) {
  return Activations<T>::bytes(c, b, n, threads);
}

TrainMemory training_memory(const Config& c, int64_t b, int64_t n, int threads) {
  TrainMemory m;
  const size_t P = count_parameters(c);
  m.params = m.grads = P * sizeof(float);
  m.optimizer = 2 * P * sizeof(float);
  // the arena is carved for the threads the pool really runs
  m.activations =
      Activations<float>::bytes(c, b, n, std::min(threads, ThreadPool::max_supported_threads()));
  return m;
}

template <class T>
double TrainGraph<T>::forward_sequences(const ParamPtrs<T>& p,
                                        const std::vector<std::vector<float>>& rotary_freqs,
                                        const int32_t* tokens, const uint8_t* mask, int64_t b,
                                        int64_t n1) {
  LST_CHECK(n1 >= 2, "training sequences need at least 2 tokens (input and target), got ", n1);
  const int64_t n = n1 - 1;
  reserve(b, n);
  // x[:, :-1] and its mask staged in the arena; targets x[:, 1:] go straight
  // to their arena slot (forward's copy of them is then in place)
  auto& A = act_;
  for (int64_t i = 0; i < b; ++i)
    for (int64_t t = 0; t < n; ++t) {
      A.staged_inputs[i * n + t] = tokens[i * n1 + t];
      A.targets[i * n + t] = tokens[i * n1 + t + 1];
      if (mask) A.staged_mask[i * n + t] = mask[i * n1 + t];
    }
  return forward(p, rotary_freqs, A.staged_inputs, A.targets, mask ? A.staged_mask : nullptr, b,
                 n);
}

template <class T>
double TrainGraph<T>::forward(const ParamPtrs<T>& p,
                              const std::vector<std::vector<float>>& rotary_freqs,
                              const int32_t* inputs, const int32_t* targets,
                              const uint8_t* mask, int64_t b, int64_t n) {
  reserve(b, n);
  auto& A = act_;
  const int64_t N = A.N, D = c_.dim, I = c_.inner(), Hd = c_.ff_hidden(), V = c_.num_tokens;
  const size_t BN = b * N, half = c_.dim_head / 2;
  LST_CHECK(rotary_freqs.size() == size_t(c_.depth), "rotary freqs: expected ", c_.depth,
            " layers, got ", rotary_freqs.size());
  for (int64_t i = 0; i < b * n; ++i) {
    LST_CHECK(inputs[i] >= 0 && inputs[i] < V, "token id ", inputs[i], " at [", i / n, ", ",
              i % n, "] is out of range [0, ", V, ")");
    if (targets)
      LST_CHECK(targets[i] >= 0 && targets[i] < V, "target id ", targets[i], " at [", i / n,
                ", ", i % n, "] is out of range [0, ", V, ")");
  }
  // Inputs, padded: pad rows are token 0 with mask 0 (docs/SPEC.md §4.1).
  std::fill(A.tokens, A.tokens + BN, 0);
  std::fill(A.mask, A.mask + BN, 0);
  for (int64_t i = 0; i < b; ++i)
    for (int64_t t = 0; t < n; ++t) {
      A.tokens[i * N + t] = inputs[i * n + t];
      A.mask[i * N + t] = mask ? (mask[i * n + t] != 0) : 1;
      if (targets) A.targets[i * n + t] = targets[i * n + t];
    }
  have_targets_ = targets != nullptr;

  // x = token_emb[tokens]; pad rows 0.
  T* x = A.layers.empty() ? A.res_out : A.layers[0].res_a;
  std::fill(x, x + BN * D, T(0));
  for (int64_t i = 0; i < b; ++i)
    for (int64_t t = 0; t < n; ++t)
      std::copy_n(p.token_emb + size_t(A.tokens[i * N + t]) * D, D, x + (i * N + t) * D);

  for (size_t l = 0; l < A.layers.size(); ++l) {
    auto& L = A.layers[l];
    const auto& P = p.layers[l];
    T* next = l + 1 < A.layers.size() ? A.layers[l + 1].res_a : A.res_out;
    // y = LN_a(x) on real rows, zero pad rows; qkv = y [Wq; Wkv]^T.
    std::fill(A.ybuf, A.ybuf + BN * D, T(0));
    pool_.parallel_for(b, [&](size_t i0, size_t i1) {
      for (size_t i = i0; i < i1; ++i)
        layernorm_forward(A.ybuf + i * N * D, D, L.lna_mean + i * N, L.lna_rstd + i * N,
                          L.res_a + i * N * D, D, P.attn_norm_w, P.attn_norm_b, n, D);
    });
    linear_fwd(L.qkv, A.ybuf, P.to_q, static_cast<const T*>(nullptr), BN, D, 2 * I);
    // rotary tables, angles in double (as the forward kernel)
    for (int64_t t = 0; t < N; ++t)
      for (size_t k = 0; k < half; ++k) {
        const double a = double(t) * double(rotary_freqs[l][k]);
        L.cos_t[t * half + k] = static_cast<T>(std::cos(a));
        L.sin_t[t * half + k] = static_cast<T>(std::sin(a));
      }
    attention_forward(l, p);
    // x_f = x + to_out(attn)
    linear_fwd(A.ybuf, L.attn, P.to_out_w, P.to_out_b, BN, I, D);
    for (size_t k = 0; k < BN * D; ++k) L.res_f[k] = L.res_a[k] + A.ybuf[k];
    // next = x_f + W2 GELU(W1 LN_f(x_f) + b1) + b2
    pool_.parallel_for(BN, [&](size_t r0, size_t r1) {
      layernorm_forward(A.ybuf + r0 * D, D, L.lnf_mean + r0, L.lnf_rstd + r0, L.res_f + r0 * D,
                        D, P.ff_norm_w, P.ff_norm_b, r1 - r0, D);
    }, 16);
    linear_fwd(L.ffh, A.ybuf, P.ff1_w, P.ff1_b, BN, D, Hd);
    ff_activation(l, L.ffh, BN);
    linear_fwd(A.ybuf, A.hbuf, P.ff2_w, P.ff2_b, BN, Hd, D);
    for (size_t k = 0; k < BN * D; ++k) next[k] = L.res_f[k] + A.ybuf[k];
  }
  // logits = to_logits(LN_final(x))
  pool_.parallel_for(BN, [&](size_t r0, size_t r1) {
    layernorm_forward(A.ybuf + r0 * D, D, A.lnF_mean + r0, A.lnF_rstd + r0, A.res_out + r0 * D,
                      D, p.final_norm_w, p.final_norm_b, r1 - r0, D);
  }, 16);
  linear_fwd(A.probs, A.ybuf, p.logits_w, p.logits_b, BN, D, V);
  if (!targets) return 0.0;
  double total = 0;
  for (int64_t i = 0; i < b; ++i)
    total += cross_entropy_forward(A.probs + i * N * V, A.probs + i * N * V, A.targets + i * n,
                                   n, V, A.row_loss + i * n, pool_);
  return total / double(b * n);
}

template <class T>
void TrainGraph<T>::ff_activation(size_t l, const T* pre, size_t rows) {
  auto& A = act_;
  const size_t Hd = c_.ff_hidden();
  const DropoutRow drop(dropout_.ff_key(int64_t(l)), float(dropout_.ff));
  pool_.parallel_for(rows, [&](size_t r0, size_t r1) {
    gelu_forward(A.hbuf + r0 * Hd, pre + r0 * Hd, (r1 - r0) * Hd);
    if (dropout_.ff_on())  // unit (row r, column k) is index r * Hd + k of the layer's mask
      for (size_t r = r0; r < r1; ++r) drop.apply(A.hbuf + r * Hd, uint64_t(r) * Hd, Hd);
  }, 16);
}

template <class T>
void TrainGraph<T>::attention_forward(size_t l, const ParamPtrs<T>& p) {
  auto& A = act_;
  auto& L = A.layers[l];
  const int64_t N = A.N, G = A.G, H = c_.heads;
  const AttnParams<T> ap = attn_params(p.layers[l]);
  const size_t scratch = attn_scratch_size(c_, N);
  pool_.parallel_for(A.B * H, [&](size_t k0, size_t k1) {
    for (size_t k = k0; k < k1; ++k) {
      const int64_t i = k / H, h = k % H;
      const AttnHead<T> a = head_view(L, c_, N, G, i, k);
      const DropoutRow drop(dropout_.attn_key(int64_t(l), i, h), float(dropout_.attn));
      attention_head_forward(a, ap, c_, N, int(h), A.mask + i * N, L.cos_t, L.sin_t,
                             A.attn_scratch + k * scratch, dropout_.attn_on() ? &drop : nullptr);
    }
  });
}

template <class T>
void TrainGraph<T>::attention_backward(size_t l, const ParamPtrs<T>& p,
                                       const ParamPtrs<T>& grad) {
  auto& A = act_;
  auto& L = A.layers[l];
  const auto& GP = grad.layers[l];
  const int64_t N = A.N, G = A.G, H = c_.heads, dh = c_.dim_head, I = c_.inner();
  const AttnParams<T> ap = attn_params(p.layers[l]);
  const size_t scratch = attn_scratch_size(c_, N), np = attn_param_grad_size(c_);
  pool_.parallel_for(A.B * H, [&](size_t k0, size_t k1) {
    for (size_t k = k0; k < k1; ++k) {
      const int64_t i = k / H, h = k % H;
      const AttnHead<T> a = head_view(L, c_, N, G, i, k);
      AttnHeadGrad<T> g{A.dattn + i * N * I, A.dqkv + i * N * 2 * I, A.dlkv + i * N * I,
                        A.dgkv + k * G * dh, A.dgpre + k * G * dh, A.dparams + k * np};
      const DropoutRow drop(dropout_.attn_key(int64_t(l), i, h), float(dropout_.attn));
      attention_head_backward(a, g, ap, c_, N, int(h), A.mask + i * N, L.cos_t, L.sin_t,
                              A.attn_scratch + k * scratch, dropout_.attn_on() ? &drop : nullptr);
    }
  });
  // Reduce the heads' partial parameter gradients in a fixed order.
  for (int64_t k = 0; k < A.B * H; ++k) {
    const T* d = A.dparams + k * np;
    for (int64_t j = 0; j < dh; ++j) {
      GP.local_norm_w[j] += d[j];
      GP.local_norm_b[j] += d[dh + j];
      GP.global_norm_w[j] += d[2 * dh + j];
      GP.global_norm_b[j] += d[3 * dh + j];
    }
    for (int64_t j = 0; j < c_.r * dh; ++j) GP.to_dynamic_proj[j] += d[4 * dh + j];
  }
}

template <class T>
void TrainGraph<T>::backward(const ParamPtrs<T>& p, const ParamPtrs<T>& grad, T loss_scale) {
  LST_CHECK(have_targets_, "TrainGraph::backward needs a forward with targets first");
  auto& A = act_;
  const int64_t b = A.B, n = A.n, N = A.N, D = c_.dim, I = c_.inner(), Hd = c_.ff_hidden(),
                V = c_.num_tokens;
  const size_t BN = b * N;

  // dlogits = (softmax - onehot) * scale / (b n) on real rows, 0 on pad rows.
  const T scale = loss_scale / T(b * n);
  for (int64_t i = 0; i < b; ++i) {
    T* pr = A.probs + i * N * V;
    cross_entropy_backward(pr, pr, A.targets + i * n, n, V, scale, pool_);
    std::fill(pr + n * V, pr + N * V, T(0));
  }
  // logits = LN_F(x) W^T + b
  layernorm_recompute(A.ybuf, D, A.res_out, D, A.lnF_mean, A.lnF_rstd, p.final_norm_w,
                      p.final_norm_b, BN, D);
  linear_bwd(A.dy, grad.logits_w, grad.logits_b, A.probs, A.ybuf, p.logits_w, BN, D, V);
  std::fill(A.dres, A.dres + BN * D, T(0));
  layernorm_backward_rows(A.dres, grad.final_norm_w, grad.final_norm_b, A.dy, A.res_out,
                          A.lnF_mean, A.lnF_rstd, p.final_norm_w, BN, D, pool_);

  for (size_t l = A.layers.size(); l-- > 0;) {
    auto& L = A.layers[l];
    const auto& P = p.layers[l];
    const auto& GP = grad.layers[l];
    // feed-forward block
    ff_activation(l, L.ffh, BN);  // recomputed (with the forward's dropout mask)
    linear_bwd(A.dh, GP.ff2_w, GP.ff2_b, A.dres, A.hbuf, P.ff2_w, BN, Hd, D);
    // hbuf (the GELU output) is spent: it receives d(ffh), zeroed, then accumulated
    const DropoutRow ff_drop(dropout_.ff_key(int64_t(l)), float(dropout_.ff));
    pool_.parallel_for(BN, [&](size_t r0, size_t r1) {
      if (dropout_.ff_on())  // d(GELU out) = d(dropped) * mask / (1 - p)
        for (size_t r = r0; r < r1; ++r) ff_drop.apply(A.dh + r * Hd, uint64_t(r) * Hd, Hd);
      std::fill(A.hbuf + r0 * Hd, A.hbuf + r1 * Hd, T(0));
      gelu_backward(A.hbuf + r0 * Hd, A.dh + r0 * Hd, L.ffh + r0 * Hd, (r1 - r0) * Hd);
    }, 16);
    layernorm_recompute(A.ybuf, D, L.res_f, D, L.lnf_mean, L.lnf_rstd, P.ff_norm_w, P.ff_norm_b,
                        BN, D);
    linear_bwd(A.dy, GP.ff1_w, GP.ff1_b, A.hbuf, A.ybuf, P.ff1_w, BN, D, Hd);
    layernorm_backward_rows(A.dres, GP.ff_norm_w, GP.ff_norm_b, A.dy, L.res_f, L.lnf_mean,
                            L.lnf_rstd, P.ff_norm_w, BN, D, pool_);
    // attention block
    linear_bwd(A.dattn, GP.to_out_w, GP.to_out_b, A.dres, L.attn, P.to_out_w, BN, I, D);
    attention_backward(l, p, grad);
    std::fill(A.ybuf, A.ybuf + BN * D, T(0));
    for (int64_t i = 0; i < b; ++i)
      layernorm_recompute(A.ybuf + i * N * D, D, L.res_a + i * N * D, D, L.lna_mean + i * N,
                          L.lna_rstd + i * N, P.attn_norm_w, P.attn_norm_b, n, D);
    linear_bwd(A.dy, GP.to_q, static_cast<T*>(nullptr), A.dqkv, A.ybuf, P.to_q, BN, D, 2 * I);
    // pad rows of y are constants (zeros): only real rows pass the gradient on
    for (int64_t i = 0; i < b; ++i)
      layernorm_backward_rows(A.dres + i * N * D, GP.attn_norm_w, GP.attn_norm_b,
                              A.dy + i * N * D, L.res_a + i * N * D, L.lna_mean + i * N,
                              L.lna_rstd + i * N, P.attn_norm_w, n, D, pool_);
  }
  // embedding
  for (int64_t i = 0; i < b; ++i)
    for (int64_t t = 0; t < n; ++t)
      axpy(T(1), A.dres + (i * N + t) * D, grad.token_emb + size_t(A.tokens[i * N + t]) * D, D);
}

template class TrainGraph<float>;
template class TrainGraph<double>;

}  // namespace lst::train
