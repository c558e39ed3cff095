// The one interface every matrix multiply goes through. Two backends:
//  - Builtin: the project's own packed, register-tiled SIMD GEMM (simd.h),
//    the default in wasm builds;
//  - Xnnpack: XNNPACK fully-connected operators (native, or wasm when a
//    prebuilt wasm32 XNNPACK is linked), weights packed once at creation.
#pragma once
#include <cstddef>
#include <memory>
#include <mutex>

namespace lst {

class ThreadPool;
class WeightMatrix;

enum class GemmBackend { kBuiltin, kXnnpack };

const char* gemm_backend_name(GemmBackend b);
// True when this build can use the backend (XNNPACK only when linked in).
bool gemm_backend_available(GemmBackend b);
// The faster backend this build and CPU have: Builtin where its AVX-512 tile
// runs (faster than Debian's XNNPACK on every shape bench_gemm measures,
// M = 1 included), else XNNPACK when linked in (except in a threaded
// WebAssembly build), else Builtin.
GemmBackend default_gemm_backend();
// Parses "builtin" / "xnnpack"; throws lst::Error otherwise.
GemmBackend parse_gemm_backend(const char* name);

// A fully-connected layer with PyTorch's Linear layout:
//   y[M, out] = x[M, in] · W^T + bias,   W row-major (out, in), bias (out) or null.
// Weights are packed at construction; W and bias may be freed afterwards.
class Linear {
 public:
  virtual ~Linear() = default;
  size_t in_features() const { return in_; }
  size_t out_features() const { return out_; }
  // x: (M, in) row stride `in`; y: (M, out) row stride `out`. M may be 0.
  // Not re-entrant for one object (XNNPACK setup mutates the operator);
  // different objects may run concurrently.
  virtual void run(const float* x, size_t M, float* y) = 0;

 protected:
  Linear(size_t in, size_t out) : in_(in), out_(out) {}
  size_t in_, out_;
};

// Holds what a backend shares across its layers (XNNPACK's pthreadpool,
// the builtin GEMM's ThreadPool). One per model.
class GemmContext {
 public:
  virtual ~GemmContext() = default;
  virtual GemmBackend backend() const = 0;
  virtual std::unique_ptr<Linear> make_linear(const float* W, const float* bias, size_t in,
                                              size_t out) = 0;
  // A weight matrix in its storage format (weight_matrix.h), shared, not
  // copied when quantised: f32 goes to the backend (packed as above); f16 and
  // int8 run on the quantised kernels (gemm_quant.h) on this context's
  // threads, whichever the backend (XNNPACK has no block-scaled int8).
  std::unique_ptr<Linear> make_linear(std::shared_ptr<const WeightMatrix> W, const float* bias);

 protected:
  explicit GemmContext(ThreadPool& pool);
  ThreadPool& pool_;
  // Held by the layer running on the pool; another layer then runs inline.
  std::shared_ptr<std::mutex> pool_mu_;
};

// `pool` must outlive the context; it sets the thread count for both backends.
std::unique_ptr<GemmContext> make_gemm_context(GemmBackend backend, ThreadPool& pool);

// Unpacked helpers for activations (attention, training). Row-major, strided.
// C[M, N] (+)= A[M, K] · B[N, K]^T      (accumulate: C += ..., else C = ...)
void gemm_nt(size_t M, size_t N, size_t K, const float* A, size_t lda, const float* B,
             size_t ldb, float* C, size_t ldc, bool accumulate);
// C[M, N] (+)= A[M, K] · B[K, N]
void gemm_nn(size_t M, size_t N, size_t K, const float* A, size_t lda, const float* B,
             size_t ldb, float* C, size_t ldc, bool accumulate);
// C[M, N] (+)= A[K, M]^T · B[K, N]
void gemm_tn(size_t M, size_t N, size_t K, const float* A, size_t lda, const float* B,
             size_t ldb, float* C, size_t ldc, bool accumulate);

}  // namespace lst
