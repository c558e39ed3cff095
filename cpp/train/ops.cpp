#include "train/ops.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "kernels/activations.h"
#include "kernels/gemm.h"
#include "kernels/layernorm.h"
#include "kernels/rotary.h"
#include "kernels/simd.h"
#include "runtime/thread_pool.h"

namespace lst::train {

template <class T>
T dot(const T* a, const T* b, size_t n) {
  if constexpr (std::is_same_v<T, float>) {
    return simd::dot(a, b, n);
  } else {
    T s = 0;
    for (size_t i = 0; i < n; ++i) s += a[i] * b[i];
    return s;
  }
}

template <class T>
void axpy(T a, const T* x, T* y, size_t n) {
  if constexpr (std::is_same_v<T, float>) {
    simd::axpy(a, x, y, n);
  } else {
    for (size_t i = 0; i < n; ++i) y[i] += a * x[i];
  }
}

// ---------------------------------------------------------------- matmuls
template <class T>
void matmul_nt(size_t M, size_t N, size_t K, const T* A, size_t lda, const T* B, size_t ldb,
               T* C, size_t ldc, bool accumulate) {
  if constexpr (std::is_same_v<T, float>) {
    gemm_nt(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
  } else {
    for (size_t i = 0; i < M; ++i)
      for (size_t j = 0; j < N; ++j) {
        T s = accumulate ? C[i * ldc + j] : T(0);
        for (size_t k = 0; k < K; ++k) s += A[i * lda + k] * B[j * ldb + k];
        C[i * ldc + j] = s;
      }
  }
}

template <class T>
void matmul_nn(size_t M, size_t N, size_t K, const T* A, size_t lda, const T* B, size_t ldb,
               T* C, size_t ldc, bool accumulate) {
  if constexpr (std::is_same_v<T, float>) {
    gemm_nn(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
  } else {
    for (size_t i = 0; i < M; ++i) {
      T* c = C + i * ldc;
      if (!accumulate) std::fill(c, c + N, T(0));
      for (size_t k = 0; k < K; ++k) axpy(A[i * lda + k], B + k * ldb, c, N);
    }
  }
}

template <class T>
void matmul_tn(size_t M, size_t N, size_t K, const T* A, size_t lda, const T* B, size_t ldb,
               T* C, size_t ldc, bool accumulate) {
  if constexpr (std::is_same_v<T, float>) {
    gemm_tn(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
  } else {
    for (size_t i = 0; i < M; ++i) {
      T* c = C + i * ldc;
      if (!accumulate) std::fill(c, c + N, T(0));
      for (size_t k = 0; k < K; ++k) axpy(A[k * lda + i], B + k * ldb, c, N);
    }
  }
}

// ---------------------------------------------------------------- linear
template <class T>
void linear_forward(T* out, const T* in, const T* W, const T* b, size_t M, size_t I, size_t O,
                    T* wt, ThreadPool& pool) {
  // W^T (I, O) so the product reads B along rows (the faster register tile).
  pool.parallel_for(O, [&](size_t o0, size_t o1) {
    for (size_t o = o0; o < o1; ++o)
      for (size_t i = 0; i < I; ++i) wt[i * O + o] = W[o * I + i];
  });
  pool.parallel_for(M, [&](size_t r0, size_t r1) {
    T* y = out + r0 * O;
    if (b)
      for (size_t r = r0; r < r1; ++r) std::copy(b, b + O, out + r * O);
    matmul_nn(r1 - r0, O, I, in + r0 * I, I, wt, O, y, O, b != nullptr);
  }, 16);
}

template <class T>
void linear_backward(T* din, bool accumulate_din, T* dW, T* db, const T* dout, const T* in,
                     const T* W, size_t M, size_t I, size_t O, ThreadPool& pool) {
  if (din)
    pool.parallel_for(M, [&](size_t r0, size_t r1) {
      matmul_nn(r1 - r0, I, O, dout + r0 * O, O, W, I, din + r0 * I, I, accumulate_din);
    }, 16);
  // dW rows split over the pool: dW[o0:o1, :] += dout[:, o0:o1]^T · in
  pool.parallel_for(O, [&](size_t o0, size_t o1) {
    matmul_tn(o1 - o0, I, M, dout + o0, O, in, I, dW + o0 * I, I, true);
    if (db)
      for (size_t r = 0; r < M; ++r)
        for (size_t o = o0; o < o1; ++o) db[o] += dout[r * O + o];
  }, 8);
}

// ---------------------------------------------------------------- layernorm
template <class T>
void layernorm_forward(T* out, size_t out_stride, T* mean, T* rstd, const T* in,
                       size_t in_stride, const T* w, const T* b, size_t rows, size_t dim) {
  if constexpr (std::is_same_v<T, float>) {
    return lst::layernorm_forward(out, out_stride, mean, rstd, in, in_stride, w, b, rows, dim);
  }
  constexpr T eps = T(1e-5);
  for (size_t r = 0; r < rows; ++r) {
    const T* x = in + r * in_stride;
    T* y = out + r * out_stride;
    T m = 0;
    for (size_t i = 0; i < dim; ++i) m += x[i];
    m /= T(dim);
    T v = 0;
    for (size_t i = 0; i < dim; ++i) v += (x[i] - m) * (x[i] - m);
    v /= T(dim);
    const T rs = T(1) / std::sqrt(v + eps);
    for (size_t i = 0; i < dim; ++i) y[i] = (x[i] - m) * rs * w[i] + b[i];
    mean[r] = m;
    rstd[r] = rs;
  }
}

template <class T>
void layernorm_recompute(T* out, size_t out_stride, const T* in, size_t in_stride,
                         const T* mean, const T* rstd, const T* w, const T* b, size_t rows,
                         size_t dim) {
  if constexpr (std::is_same_v<T, float>) {
    return lst::layernorm_recompute(out, out_stride, in, in_stride, mean, rstd, w, b, rows, dim);
  }
  for (size_t r = 0; r < rows; ++r) {
    const T* x = in + r * in_stride;
    T* y = out + r * out_stride;
    for (size_t i = 0; i < dim; ++i) y[i] = (x[i] - mean[r]) * rstd[r] * w[i] + b[i];
  }
}

template <class T>
void layernorm_backward(T* din, size_t din_stride, T* dw, T* db, const T* dout,
                        size_t dout_stride, const T* in, size_t in_stride, const T* mean,
                        const T* rstd, const T* w, size_t rows, size_t dim) {
  if constexpr (std::is_same_v<T, float>) {
    return lst::layernorm_backward(din, din_stride, dw, db, dout, dout_stride, in, in_stride,
                                   mean, rstd, w, rows, dim);
  }
  for (size_t r = 0; r < rows; ++r) {
    const T* x = in + r * in_stride;
    const T* dy = dout + r * dout_stride;
    T* dx = din + r * din_stride;
    const T m = mean[r], rs = rstd[r];
    // dxhat = dy * w;  dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
    T s1 = 0, s2 = 0;
    for (size_t i = 0; i < dim; ++i) {
      const T xh = (x[i] - m) * rs, dxh = dy[i] * w[i];
      s1 += dxh;
      s2 += dxh * xh;
      if (dw) dw[i] += dy[i] * xh;
      if (db) db[i] += dy[i];
    }
    s1 /= T(dim);
    s2 /= T(dim);
    for (size_t i = 0; i < dim; ++i) {
      const T xh = (x[i] - m) * rs;
      dx[i] += rs * (dy[i] * w[i] - s1 - xh * s2);
    }
  }
}

template <class T>
void layernorm_backward_rows(T* din, T* dw, T* db, const T* dout, const T* in, const T* mean,
                             const T* rstd, const T* w, size_t rows, size_t dim,
                             ThreadPool& pool) {
  pool.parallel_for(rows, [&](size_t r0, size_t r1) {
    layernorm_backward(din + r0 * dim, dim, static_cast<T*>(nullptr), static_cast<T*>(nullptr),
                       dout + r0 * dim, dim, in + r0 * dim, dim, mean + r0, rstd + r0, w,
                       r1 - r0, dim);
  }, 16);
  pool.parallel_for(dim, [&](size_t c0, size_t c1) {
    for (size_t r = 0; r < rows; ++r) {
      const T* x = in + r * dim;
      const T* dy = dout + r * dim;
      for (size_t i = c0; i < c1; ++i) {
        dw[i] += dy[i] * (x[i] - mean[r]) * rstd[r];
        db[i] += dy[i];
      }
    }
  }, 8);
}

// ---------------------------------------------------------------- GELU
template <class T>
void gelu_forward(T* out, const T* in, size_t n) {
  if constexpr (std::is_same_v<T, float>) return lst::gelu_forward(out, in, n);
  for (size_t i = 0; i < n; ++i) {
    const T x = in[i];
    out[i] = T(0.5) * x * (T(1) + std::erf(x * T(0.70710678118654752440)));
  }
}

template <class T>
void gelu_backward(T* din, const T* dout, const T* in, size_t n) {
  if constexpr (std::is_same_v<T, float>) return lst::gelu_backward(din, dout, in, n);
  for (size_t i = 0; i < n; ++i) {
    const T x = in[i];
    const T cdf = T(0.5) * (T(1) + std::erf(x * T(0.70710678118654752440)));
    const T pdf = std::exp(T(-0.5) * x * x) * T(0.39894228040143267794);
    din[i] += dout[i] * (cdf + x * pdf);
  }
}

// ---------------------------------------------------------------- rotary
template <class T>
void rotary_rows(T* x, size_t stride, size_t rows, size_t dh, const T* cos_t, const T* sin_t,
                 size_t half, bool inverse) {
  if constexpr (std::is_same_v<T, float>) {
    if (inverse) return rotary_apply_inverse(x, stride, rows, 1, dh, cos_t, sin_t, half);
    return rotary_apply(x, stride, rows, 1, dh, cos_t, sin_t, half);
  }
  const T sign = inverse ? T(-1) : T(1);
  for (size_t r = 0; r < rows; ++r) {
    T* v = x + r * stride;
    const T* c = cos_t + r * half;
    const T* s = sin_t + r * half;
    for (size_t i = 0; i < half; ++i) {
      const T a = v[2 * i], b = v[2 * i + 1], si = sign * s[i];
      v[2 * i] = a * c[i] - b * si;
      v[2 * i + 1] = b * c[i] + a * si;
    }
  }
}

// ---------------------------------------------------------------- cross-entropy
template <class T>
double cross_entropy_forward(T* probs, const T* logits, const int32_t* targets, size_t rows,
                             size_t V, double* row_loss, ThreadPool& pool) {
  pool.parallel_for(rows, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      const T* z = logits + r * V;
      T* p = probs + r * V;
      T m = z[0];
      for (size_t j = 1; j < V; ++j) m = std::max(m, z[j]);
      const T z_target = z[targets[r]] - m;  // read before p (which may alias z) is written
      T sum = 0;
      for (size_t j = 0; j < V; ++j) sum += (p[j] = std::exp(z[j] - m));
      const T inv = T(1) / sum;
      for (size_t j = 0; j < V; ++j) p[j] *= inv;
      row_loss[r] = static_cast<double>(std::log(sum) - z_target);
    }
  }, 16);
  double total = 0;
  for (size_t r = 0; r < rows; ++r) total += row_loss[r];
  return total;
}

template <class T>
void cross_entropy_backward(T* dlogits, const T* probs, const int32_t* targets, size_t rows,
                            size_t V, T scale, ThreadPool& pool) {
  pool.parallel_for(rows, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      for (size_t j = 0; j < V; ++j) dlogits[r * V + j] = probs[r * V + j] * scale;
      dlogits[r * V + targets[r]] -= scale;
    }
  }, 16);
}

// ---------------------------------------------------------------- instantiations
#define LST_TRAIN_OPS_INSTANTIATE(T)                                                          \
  template T dot<T>(const T*, const T*, size_t);                                              \
  template void axpy<T>(T, const T*, T*, size_t);                                             \
  template void matmul_nt<T>(size_t, size_t, size_t, const T*, size_t, const T*, size_t, T*,  \
                             size_t, bool);                                                   \
  template void matmul_nn<T>(size_t, size_t, size_t, const T*, size_t, const T*, size_t, T*,  \
                             size_t, bool);                                                   \
  template void matmul_tn<T>(size_t, size_t, size_t, const T*, size_t, const T*, size_t, T*,  \
                             size_t, bool);                                                   \
  template void linear_forward<T>(T*, const T*, const T*, const T*, size_t, size_t, size_t,   \
                                  T*, ThreadPool&);                                           \
  template void linear_backward<T>(T*, bool, T*, T*, const T*, const T*, const T*, size_t,    \
                                   size_t, size_t, ThreadPool&);                              \
  template void layernorm_forward<T>(T*, size_t, T*, T*, const T*, size_t, const T*,          \
                                     const T*, size_t, size_t);                               \
  template void layernorm_recompute<T>(T*, size_t, const T*, size_t, const T*, const T*,      \
                                       const T*, const T*, size_t, size_t);                   \
  template void layernorm_backward<T>(T*, size_t, T*, T*, const T*, size_t, const T*, size_t, \
                                      const T*, const T*, const T*, size_t, size_t);          \
  template void layernorm_backward_rows<T>(T*, T*, T*, const T*, const T*, const T*,          \
                                           const T*, const T*, size_t, size_t, ThreadPool&);  \
  template void gelu_forward<T>(T*, const T*, size_t);                                        \
  template void gelu_backward<T>(T*, const T*, const T*, size_t);                             \
  template void rotary_rows<T>(T*, size_t, size_t, size_t, const T*, const T*, size_t, bool); \
  template double cross_entropy_forward<T>(T*, const T*, const int32_t*, size_t, size_t,      \
                                           double*, ThreadPool&);                             \
  template void cross_entropy_backward<T>(T*, const T*, const int32_t*, size_t, size_t, T,    \
                                          ThreadPool&);

LST_TRAIN_OPS_INSTANTIATE(float)
LST_TRAIN_OPS_INSTANTIATE(double)

}  // namespace lst::train
