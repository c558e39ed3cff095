// Training ops, each as a forward / backward pair with the same argument
// order (llm.c): backward ACCUMULATES (+=) into parameter gradients and,
// where said, into input gradients; zeroing is the caller's step.
// Templated on the scalar type: float for training, double for the
// finite-difference tests. The float versions go to the SIMD kernels
// (kernels/layernorm.h, activations.h, rotary.h, gemm.h); the double loops
// here are the reference those tests check them against.
#pragma once
#include <cstddef>
#include <cstdint>

namespace lst {
class ThreadPool;
}

namespace lst::train {

// sum_i a[i] b[i]
template <class T>
T dot(const T* a, const T* b, size_t n);
// y[i] += a * x[i]
template <class T>
void axpy(T a, const T* x, T* y, size_t n);

// C[M, N] (+)= A[M, K] · B[N, K]^T, A[M, K] · B[K, N], A[K, M]^T · B[K, N]
// (gemm_nt / gemm_nn / gemm_tn of kernels/gemm.h, single-threaded).
template <class T>
void matmul_nt(size_t M, size_t N, size_t K, const T* A, size_t lda, const T* B, size_t ldb,
               T* C, size_t ldc, bool accumulate);
template <class T>
void matmul_nn(size_t M, size_t N, size_t K, const T* A, size_t lda, const T* B, size_t ldb,
               T* C, size_t ldc, bool accumulate);
template <class T>
void matmul_tn(size_t M, size_t N, size_t K, const T* A, size_t lda, const T* B, size_t ldb,
               T* C, size_t ldc, bool accumulate);

// out (M, O) = in (M, I) · W^T + b        W (O, I) PyTorch layout, b (O) or null.
// `wt` (I, O) scratch receives W^T (the float GEMM reads B along rows).
template <class T>
void linear_forward(T* out, const T* in, const T* W, const T* b, size_t M, size_t I, size_t O,
                    T* wt, ThreadPool& pool);
// din (M, I) = dout · W (+= when accumulate_din; skipped when din is null),
// dW (O, I) += dout^T · in, db (O) += column sums of dout (when non-null).
template <class T>
void linear_backward(T* din, bool accumulate_din, T* dW, T* db, const T* dout, const T* in,
                     const T* W, size_t M, size_t I, size_t O, ThreadPool& pool);

// LayerNorm (eps 1e-5, biased variance) over rows of `dim`, saving mean and
// rstd (rows) for the backward. out may alias in.
template <class T>
void layernorm_forward(T* out, size_t out_stride, T* mean, T* rstd, const T* in,
                       size_t in_stride, const T* w, const T* b, size_t rows, size_t dim);
// Rebuilds the output from the saved statistics (for weight gradients).
template <class T>
void layernorm_recompute(T* out, size_t out_stride, const T* in, size_t in_stride,
                         const T* mean, const T* rstd, const T* w, const T* b, size_t rows,
                         size_t dim);
// din (+)= dLN/dx^T dout (accumulates into din), dw += sum_rows dout * xhat,
// db += sum_rows dout (dw/db may be null: not wanted).
template <class T>
void layernorm_backward(T* din, size_t din_stride, T* dw, T* db, const T* dout,
                        size_t dout_stride, const T* in, size_t in_stride, const T* mean,
                        const T* rstd, const T* w, size_t rows, size_t dim);
// The same, rows split over the pool (dw/db summed column-wise afterwards).
template <class T>
void layernorm_backward_rows(T* din, T* dw, T* db, const T* dout, const T* in, const T* mean,
                             const T* rstd, const T* w, size_t rows, size_t dim,
                             ThreadPool& pool);

// GELU, exact erf form: out = 0.5 x (1 + erf(x / sqrt 2)).
template <class T>
void gelu_forward(T* out, const T* in, size_t n);
// din += dout * gelu'(in) (accumulates; din must not alias dout or in).
template <class T>
void gelu_backward(T* din, const T* dout, const T* in, size_t n);

// Rotary on interleaved pairs of one head's rows: x (rows, dh) stride
// `stride`; cos/sin (rows, half). inverse: rotates by -angle (the backward).
template <class T>
void rotary_rows(T* x, size_t stride, size_t rows, size_t dh, const T* cos_t, const T* sin_t,
                 size_t half, bool inverse);

// Cross-entropy of rows of logits (rows, V) against targets (rows):
// returns the sum over rows of (logsumexp - logit[target]) in double, and
// leaves the softmax probabilities in `probs` (may alias logits). row_loss:
// (rows) scratch, each row's loss (summed in a fixed order: any thread count
// gives the same total).
template <class T>
double cross_entropy_forward(T* probs, const T* logits, const int32_t* targets, size_t rows,
                             size_t V, double* row_loss, ThreadPool& pool);
// dlogits = (probs - onehot(target)) * scale (dlogits may alias probs).
template <class T>
void cross_entropy_backward(T* dlogits, const T* probs, const int32_t* targets, size_t rows,
                            size_t V, T scale, ThreadPool& pool);

}  // namespace lst::train
