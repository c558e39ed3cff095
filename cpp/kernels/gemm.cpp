// Backend selection and the unpacked, strided GEMM helpers (single-threaded).
//   gemm_nn / gemm_tn: the gemm_tile.h register tile (kMR x kNR) reading B
//     rows in place (b_ks = ldb) and A with (row, k) strides (lda, 1) or
//     (1, lda); K-blocked and row-blocked like the packed GEMM.
//   gemm_nt: B is (N, K), so both operands are read along K: a 4 x 2 tile of
//     vector dot products (8 independent accumulators), reduced at the end;
//     with AVX-512 a 4 x 4 tile of 16-lane ones, reduced together.
// Column tails narrower than one vector, and K tails in gemm_nt, are scalar.
#include "kernels/gemm.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "kernels/gemm_builtin.h"
#include "kernels/gemm_quant.h"
#include "kernels/gemm_tile.h"
#include "kernels/simd.h"
#include "runtime/thread_pool.h"
#ifdef LST_HAVE_XNNPACK
#include "kernels/xnnpack/gemm_xnnpack.h"
#endif

namespace lst {

const char* gemm_backend_name(GemmBackend b) {
  switch (b) {
    case GemmBackend::kBuiltin: return "builtin";
    case GemmBackend::kXnnpack: return "xnnpack";
  }
  return "unknown";
}

bool gemm_backend_available(GemmBackend b) {
  switch (b) {
    case GemmBackend::kBuiltin: return true;
    case GemmBackend::kXnnpack:
#ifdef LST_HAVE_XNNPACK
      return true;
#else
      return false;
#endif
  }
  return false;
}

// A threaded WebAssembly build starts only the worker threads the project's
// own pool asks for (js/runtime/instantiate.js); XNNPACK's pthreadpool would
// wait for workers of its own that never start. So there XNNPACK runs at one
// thread only and is never the default.
#if defined(LST_HAVE_XNNPACK) && defined(__EMSCRIPTEN_PTHREADS__)
#define LST_XNNPACK_ONE_THREAD 1
#endif

GemmBackend default_gemm_backend() {
  if (builtin_gemm_avx512_active()) return GemmBackend::kBuiltin;
#if defined(LST_HAVE_XNNPACK) && !defined(LST_XNNPACK_ONE_THREAD)
  return GemmBackend::kXnnpack;
#else
  return GemmBackend::kBuiltin;
#endif
}

GemmBackend parse_gemm_backend(const char* name) {
  LST_CHECK(name != nullptr, "GEMM backend name is null (expected \"builtin\" or \"xnnpack\")");
  if (std::strcmp(name, "builtin") == 0) return GemmBackend::kBuiltin;
  if (std::strcmp(name, "xnnpack") == 0) return GemmBackend::kXnnpack;
  LST_FAIL("unknown GEMM backend \"", name, "\" (expected \"builtin\" or \"xnnpack\")");
}

GemmContext::GemmContext(ThreadPool& pool) : pool_(pool), pool_mu_(std::make_shared<std::mutex>()) {}

std::unique_ptr<Linear> GemmContext::make_linear(std::shared_ptr<const WeightMatrix> W,
                                                 const float* bias) {
  LST_CHECK(W != nullptr, "Linear: null weight matrix");
  if (W->format() == WeightFormat::kF32) return make_linear(W->f32(), bias, W->cols(), W->rows());
  return make_quant_linear(std::move(W), bias, pool_, pool_mu_);
}

std::unique_ptr<GemmContext> make_gemm_context(GemmBackend backend, ThreadPool& pool) {
  switch (backend) {
    case GemmBackend::kBuiltin: return make_builtin_gemm_context(pool);
    case GemmBackend::kXnnpack:
#ifdef LST_HAVE_XNNPACK
#ifdef LST_XNNPACK_ONE_THREAD
      LST_CHECK(pool.num_threads() == 1, "the XNNPACK backend runs at 1 thread in the threaded WebAssembly "
                "build (its thread pool would wait for worker threads this build does not start), got ",
                pool.num_threads(), " threads: use threads: 1 or backend: 'builtin'");
#endif
      return make_xnnpack_gemm_context(pool);
#else
      LST_FAIL("GEMM backend \"xnnpack\" is not available in this build (XNNPACK not linked)");
#endif
  }
  LST_FAIL("bad GemmBackend value ", static_cast<int>(backend));
}

// ---------------------------------------------------------------- helpers
namespace {

using gemm_detail::kL;
using gemm_detail::kMR;
using gemm_detail::kNR;
using gemm_detail::kNRV;
using gemm_detail::tile;

constexpr size_t kKC = 256;       // K block of gemm_nn / gemm_tn
constexpr size_t kMC = 16 * kMR;  // row block of gemm_nn / gemm_tn

// tile<mr, 1, NRV> for a run-time row count mr in [1, kMR]; init is C or null.
template <int NRV, int MR = kMR>
void strided_tile(int mr, size_t kc, const float* a, size_t a_rs, size_t a_ks, const float* b,
                  size_t ldb, const float* init, float* c, size_t ldc) {
  if constexpr (MR >= 1) {
    if (mr == MR) {
      tile<MR, 1, NRV>(kc, a, a_rs, a_ks, b, ldb, 0, init, ldc, c, ldc);
    } else {
      strided_tile<NRV, MR - 1>(mr, kc, a, a_rs, a_ks, b, ldb, init, c, ldc);
    }
  } else {
    LST_FAIL("gemm: bad tile height ", mr);
  }
}

void zero_c(size_t M, size_t N, float* C, size_t ldc) {
  for (size_t i = 0; i < M; ++i) std::fill(C + i * ldc, C + i * ldc + N, 0.0f);
}

// C[M, N] (+)= A · B[K, N] with A(i, k) = A[i*a_rs + k*a_ks].
void gemm_strided_a(size_t M, size_t N, size_t K, const float* A, size_t a_rs, size_t a_ks,
                    const float* B, size_t ldb, float* C, size_t ldc, bool accumulate) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate) zero_c(M, N, C, ldc);
    return;
  }
  for (size_t k0 = 0; k0 < K; k0 += kKC) {
    const size_t kc = std::min(kKC, K - k0);
    const bool init = accumulate || k0 > 0;
    const float* Ak = A + k0 * a_ks;
    const float* Bk = B + k0 * ldb;
    for (size_t mb = 0; mb < M; mb += kMC) {
      const size_t me = std::min(M, mb + kMC);
      size_t j = 0;
      for (; j + kNR <= N; j += kNR)
        for (size_t i = mb; i < me; i += kMR) {
          int mr = static_cast<int>(std::min<size_t>(kMR, me - i));
          float* c = C + i * ldc + j;
          strided_tile<kNRV>(mr, kc, Ak + i * a_rs, a_rs, a_ks, Bk + j, ldb, init ? c : nullptr, c,
                             ldc);
        }
      for (; j + kL <= N; j += kL)
        for (size_t i = mb; i < me; i += kMR) {
          int mr = static_cast<int>(std::min<size_t>(kMR, me - i));
          float* c = C + i * ldc + j;
          strided_tile<1>(mr, kc, Ak + i * a_rs, a_rs, a_ks, Bk + j, ldb, init ? c : nullptr, c,
                          ldc);
        }
      for (; j < N; ++j)
        for (size_t i = mb; i < me; ++i) {
          float s = init ? C[i * ldc + j] : 0.0f;
          for (size_t k = 0; k < kc; ++k) s += Ak[i * a_rs + k * a_ks] * Bk[k * ldb + j];
          C[i * ldc + j] = s;
        }
    }
  }
}

// RA x RB block of C = dot products of A rows and B rows (both along K).
template <int RA, int RB>
void dot_tile(size_t K, const float* A, size_t lda, const float* B, size_t ldb, float* C,
              size_t ldc, bool accumulate) {
  using namespace simd;
  vf s[RA][RB];
  for (int i = 0; i < RA; ++i)
    for (int j = 0; j < RB; ++j) s[i][j] = zero();
  size_t k = 0;
  for (; k + kL <= K; k += kL) {
    vf b[RB];
    for (int j = 0; j < RB; ++j) b[j] = load(B + j * ldb + k);
    for (int i = 0; i < RA; ++i) {
      vf a = load(A + i * lda + k);
      for (int j = 0; j < RB; ++j) s[i][j] = madd(a, b[j], s[i][j]);
    }
  }
  for (int i = 0; i < RA; ++i)
    for (int j = 0; j < RB; ++j) {
      float t = reduce_sum(s[i][j]);
      for (size_t kk = k; kk < K; ++kk) t += A[i * lda + kk] * B[j * ldb + kk];
      float& c = C[i * ldc + j];
      c = accumulate ? c + t : t;
    }
}

template <int RA>
void dot_row_block(size_t N, size_t K, const float* A, size_t lda, const float* B, size_t ldb,
                   float* C, size_t ldc, bool accumulate) {
  size_t j = 0;
  for (; j + 2 <= N; j += 2) dot_tile<RA, 2>(K, A, lda, B + j * ldb, ldb, C + j, ldc, accumulate);
  for (; j < N; ++j) dot_tile<RA, 1>(K, A, lda, B + j * ldb, ldb, C + j, ldc, accumulate);
}

#if LST_SIMD_AVX2 && defined(__AVX512F__)
// gemm_nt with 512-bit registers (native builds on CPUs with AVX-512): up to
// 4 x 4 dot products at a time, 16 lanes each, K tail by masked loads; then
// the 16 accumulators are reduced together (two shuffles and an add per
// level, 4 levels) instead of one by one. Every element's sum is the same
// tree, lanes (i, i+8), then (i, i+4), (i, i+2), (i, i+1), whatever the tile
// (unused accumulators are zero): a decode step's one row gets the bits of
// the same row in a full window.
constexpr bool kNtAvx512 = true;
// GCC 12's AVX-512 shuffle intrinsics pass _mm512_undefined_ps() as the
// unused merge operand, which -Wuninitialized reports (as in gemm_quant_avx512.cpp).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

inline __m512 reduce_16_vectors(const __m512* v) {
  __m512 w[8], x[4], y[2];
  for (int j = 0; j < 8; ++j)
    w[j] = _mm512_add_ps(_mm512_shuffle_f32x4(v[j], v[j + 8], 0x44),
                         _mm512_shuffle_f32x4(v[j], v[j + 8], 0xEE));
  for (int j = 0; j < 4; ++j)
    x[j] = _mm512_add_ps(_mm512_shuffle_f32x4(w[j], w[j + 4], 0x88),
                         _mm512_shuffle_f32x4(w[j], w[j + 4], 0xDD));
  for (int j = 0; j < 2; ++j)
    y[j] = _mm512_add_ps(_mm512_shuffle_ps(x[j], x[j + 2], _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_ps(x[j], x[j + 2], _MM_SHUFFLE(3, 2, 3, 2)));
  const __m512 r = _mm512_add_ps(_mm512_shuffle_ps(y[0], y[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                 _mm512_shuffle_ps(y[0], y[1], _MM_SHUFFLE(3, 1, 3, 1)));
  // The shuffles leave sum e in lane perm[e] (perm is its own inverse).
  const __m512i perm = _mm512_setr_epi32(0, 2, 1, 3, 8, 10, 9, 11, 4, 6, 5, 7, 12, 14, 13, 15);
  return _mm512_permutexvar_ps(perm, r);
}

// C[RA, RB] (+)= A rows · B rows, RA, RB <= 4.
template <int RA, int RB>
void dot_tile16(size_t K, const float* A, size_t lda, const float* B, size_t ldb, float* C,
                size_t ldc, bool accumulate) {
  __m512 acc[16];
  for (int e = 0; e < 16; ++e) acc[e] = _mm512_setzero_ps();
  size_t k = 0;
  for (; k + 16 <= K; k += 16) {
    __m512 b[RB];
    for (int j = 0; j < RB; ++j) b[j] = _mm512_loadu_ps(B + j * ldb + k);
    for (int i = 0; i < RA; ++i) {
      const __m512 a = _mm512_loadu_ps(A + i * lda + k);
      for (int j = 0; j < RB; ++j) acc[i * 4 + j] = _mm512_fmadd_ps(a, b[j], acc[i * 4 + j]);
    }
  }
  if (k < K) {
    const __mmask16 m = static_cast<__mmask16>((1u << (K - k)) - 1);
    __m512 b[RB];
    for (int j = 0; j < RB; ++j) b[j] = _mm512_maskz_loadu_ps(m, B + j * ldb + k);
    for (int i = 0; i < RA; ++i) {
      const __m512 a = _mm512_maskz_loadu_ps(m, A + i * lda + k);
      for (int j = 0; j < RB; ++j) acc[i * 4 + j] = _mm512_fmadd_ps(a, b[j], acc[i * 4 + j]);
    }
  }
  alignas(64) float t[16];
  _mm512_store_ps(t, reduce_16_vectors(acc));
  for (int i = 0; i < RA; ++i)
    for (int j = 0; j < RB; ++j) {
      float& c = C[i * ldc + j];
      c = accumulate ? c + t[i * 4 + j] : t[i * 4 + j];
    }
}

template <int RA>
void dot_row_block16(size_t N, size_t K, const float* A, size_t lda, const float* B, size_t ldb,
                     float* C, size_t ldc, bool accumulate) {
  size_t j = 0;
  for (; j + 4 <= N; j += 4) dot_tile16<RA, 4>(K, A, lda, B + j * ldb, ldb, C + j, ldc, accumulate);
  switch (N - j) {
    case 3: dot_tile16<RA, 3>(K, A, lda, B + j * ldb, ldb, C + j, ldc, accumulate); break;
    case 2: dot_tile16<RA, 2>(K, A, lda, B + j * ldb, ldb, C + j, ldc, accumulate); break;
    case 1: dot_tile16<RA, 1>(K, A, lda, B + j * ldb, ldb, C + j, ldc, accumulate); break;
    default: break;
  }
}

void gemm_nt_avx512(size_t M, size_t n, size_t K, const float* A, size_t lda, const float* B,
                    size_t ldb, float* C, size_t ldc, bool accumulate) {
  size_t i = 0;
  for (; i + 4 <= M; i += 4) dot_row_block16<4>(n, K, A + i * lda, lda, B, ldb, C + i * ldc, ldc, accumulate);
  switch (M - i) {
    case 3: dot_row_block16<3>(n, K, A + i * lda, lda, B, ldb, C + i * ldc, ldc, accumulate); break;
    case 2: dot_row_block16<2>(n, K, A + i * lda, lda, B, ldb, C + i * ldc, ldc, accumulate); break;
    case 1: dot_row_block16<1>(n, K, A + i * lda, lda, B, ldb, C + i * ldc, ldc, accumulate); break;
    default: break;
  }
}
#pragma GCC diagnostic pop
#else
constexpr bool kNtAvx512 = false;
void gemm_nt_avx512(size_t, size_t, size_t, const float*, size_t, const float*, size_t, float*,
                    size_t, bool) {}
#endif

}  // namespace

void gemm_nn(size_t M, size_t N, size_t K, const float* A, size_t lda, const float* B,
             size_t ldb, float* C, size_t ldc, bool accumulate) {
  gemm_strided_a(M, N, K, A, lda, 1, B, ldb, C, ldc, accumulate);
}

void gemm_tn(size_t M, size_t N, size_t K, const float* A, size_t lda, const float* B,
             size_t ldb, float* C, size_t ldc, bool accumulate) {
  gemm_strided_a(M, N, K, A, 1, lda, B, ldb, C, ldc, accumulate);
}

void gemm_nt(size_t M, size_t N, size_t K, const float* A, size_t lda, const float* B,
             size_t ldb, float* C, size_t ldc, bool accumulate) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate) zero_c(M, N, C, ldc);
    return;
  }
  // Column blocks of B small enough (~256 KB) to stay in L2 across the rows of A.
  const size_t nb = std::max<size_t>(2, (size_t{64} << 10) / K) & ~size_t{1};
  for (size_t j0 = 0; j0 < N; j0 += nb) {
    const size_t n = std::min(nb, N - j0);
    const float* Bj = B + j0 * ldb;
    float* Cj = C + j0;
    if (kNtAvx512) {
      gemm_nt_avx512(M, n, K, A, lda, Bj, ldb, Cj, ldc, accumulate);
      continue;
    }
    size_t i = 0;
    for (; i + 4 <= M; i += 4) dot_row_block<4>(n, K, A + i * lda, lda, Bj, ldb, Cj + i * ldc, ldc, accumulate);
    for (; i < M; ++i) dot_row_block<1>(n, K, A + i * lda, lda, Bj, ldb, Cj + i * ldc, ldc, accumulate);
  }
}

}  // namespace lst
