#include "train/activations.h"

#include <algorithm>

#include <type_traits>

#include "core/error.h"
#include "kernels/gemm_strided.h"
#include "train/attention_train.h"

namespace lst::train {

namespace {

// Hands out consecutive slices of `base` (or only counts, when base is null),
// each rounded up to 16 elements so that rows start 64-byte apart.
template <class T>
struct Carver {
  T* base = nullptr;
  size_t used = 0;
  T* take(size_t n) {
    T* p = base ? base + used : nullptr;
    used += (n + 15) / 16 * 16;
    return p;
  }
};

template <class T>
void carve(Activations<T>& a, Carver<T>& cv, const Config& c, int64_t B, int64_t n,
           int threads) {
  const size_t N = c.padded_length(n), D = c.dim, I = c.inner(), H = c.heads,
               dh = c.dim_head, Hd = c.ff_hidden(), V = c.num_tokens, R = c.r;
  const size_t G = attn_num_global(c, N), half = dh / 2;
  const size_t BN = B * N, BH = B * H;
  a.layers.resize(c.depth);
  for (auto& L : a.layers) {
    L.res_a = cv.take(BN * D);
    L.attn_ln_mean = cv.take(BN);
    L.attn_ln_rstd = cv.take(BN);
    L.qkv = cv.take(BN * 2 * I);
    L.lkv = cv.take(BN * I);
    L.lkv_mean = cv.take(BH * N);
    L.lkv_rstd = cv.take(BH * N);
    L.proj_prob = cv.take(BH * N * R);
    L.gpre = cv.take(BH * G * dh);
    L.g_mean = cv.take(BH * G);
    L.g_rstd = cv.take(BH * G);
    L.gkv = cv.take(BH * G * dh);
    L.lse = cv.take(BH * N);
    L.attn = cv.take(BN * I);
    L.res_f = cv.take(BN * D);
    L.ff_ln_mean = cv.take(BN);
    L.ff_ln_rstd = cv.take(BN);
    L.ffh = cv.take(BN * Hd);
    L.cos_t = cv.take(N * half);
    L.sin_t = cv.take(N * half);
  }
  a.res_out = cv.take(BN * D);
  a.final_ln_mean = cv.take(BN);
  a.final_ln_rstd = cv.take(BN);
  a.probs = cv.take(BN * V);
  a.ybuf = cv.take(BN * D);
  a.hbuf = cv.take(BN * Hd);
  a.wt = cv.take(std::max({2 * I * D, I * D, Hd * D, V * D}));
  // float arena: the GEMM scratch is carved from it; the double one has none
  a.gemm_scratch = reinterpret_cast<float*>(
      cv.take(std::is_same_v<T, float> ? gemm_f32_strided_scratch_floats(threads) : 0));
  a.dres = cv.take(BN * D);
  a.dy = cv.take(BN * D);
  a.dqkv = cv.take(BN * 2 * I);
  a.dattn = cv.take(BN * I);
  a.dlkv = cv.take(BN * I);
  a.dgkv = cv.take(BH * G * dh);
  a.dgpre = cv.take(BH * G * dh);
  a.dparams = cv.take(BH * attn_param_grad_size(c));
  a.dh = cv.take(BN * Hd);
  a.attn_scratch = cv.take(BH * attn_scratch_size(c, N));
}

}  // namespace

template <class T>
void Activations<T>::allocate(const Config& c, int64_t B_, int64_t n_, int threads) {
  LST_CHECK(B_ >= 1 && n_ >= 1, "training batch must be [b, n] with b, n >= 1, got [", B_, ", ",
            n_, "]");
  Carver<T> count;
  carve(*this, count, c, B_, n_, threads);
  arena_.assign(count.used, T(0));
  Carver<T> cv{arena_.data(), 0};
  carve(*this, cv, c, B_, n_, threads);
  B = B_;
  n = n_;
  N = c.padded_length(n_);
  G = attn_num_global(c, N);
  ids_.assign(size_t(B * N + 2 * B * n), 0);
  tokens = ids_.data();
  targets = tokens + B * N;
  staged_inputs = targets + B * n;
  mask_.assign(size_t(B * N + B * n), 0);
  mask = mask_.data();
  staged_mask = mask + B * N;
  loss_.assign(size_t(B * n), 0.0);
  row_loss = loss_.data();
}

template <class T>
size_t Activations<T>::bytes(const Config& c, int64_t B_, int64_t n_, int threads) {
  Activations<T> a;
  Carver<T> count;
  carve(a, count, c, B_, n_, threads);
  const size_t N = c.padded_length(n_);
  return count.used * sizeof(T) + (B_ * N + 2 * B_ * n_) * sizeof(int32_t) + (B_ * N + B_ * n_) +
         B_ * n_ * sizeof(double);
}

template struct Activations<float>;
template struct Activations<double>;

}  // namespace lst::train
