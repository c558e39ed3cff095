// The builtin f32 GEMM's AVX-512 tile (see gemm_f32_avx512.h). Intrinsics
// only, no shared headers inside the target region: an inline function
// compiled here for AVX-512 must never be the copy another file links.
#include "kernels/gemm_f32_avx512.h"

#include "core/error.h"
#include "kernels/simd.h"

// GCC only, as the int8 kernels (gemm_quant_avx512.cpp): clang ignores
// `#pragma GCC target`; a clang build (scripts/fuzz.sh) keeps the AVX2 tile.
#if LST_SIMD_AVX2 && defined(__x86_64__) && !defined(__clang__)
#define LST_HAVE_AVX512_F32_KERNEL 1
#endif

namespace lst::gemm_detail {

#if LST_HAVE_AVX512_F32_KERNEL
#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f")

namespace {

constexpr int kPanelWidth = 16;  // gemm_tile.h's kNR with AVX2 panels

template <int MR>
__attribute__((always_inline)) inline void tile_2panels(size_t kc, const float* a, size_t lda,
                                                        const float* panels, size_t panel_stride,
                                                        const float* init, size_t ldi, float* c,
                                                        size_t ldc) {
  __m512 acc[MR][2];
  for (int r = 0; r < MR; ++r)
    for (int q = 0; q < 2; ++q)
      acc[r][q] = init ? _mm512_loadu_ps(init + r * ldi + q * kPanelWidth) : _mm512_setzero_ps();
  const float* b0 = panels;
  const float* b1 = panels + panel_stride;
  for (size_t k = 0; k < kc; ++k) {
    const __m512 w0 = _mm512_loadu_ps(b0 + k * kPanelWidth);
    const __m512 w1 = _mm512_loadu_ps(b1 + k * kPanelWidth);
    for (int r = 0; r < MR; ++r) {
      const __m512 x = _mm512_set1_ps(a[r * lda + k]);
      acc[r][0] = _mm512_fmadd_ps(x, w0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(x, w1, acc[r][1]);
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int q = 0; q < 2; ++q) _mm512_storeu_ps(c + r * ldc + q * kPanelWidth, acc[r][q]);
}

}  // namespace

void gemm_f32_12x32_avx512(size_t kc, const float* a, size_t lda, const float* panels,
                           size_t panel_stride, const float* init, size_t ldi, float* c,
                           size_t ldc) {
  tile_2panels<kAvx512MR>(kc, a, lda, panels, panel_stride, init, ldi, c, ldc);
}

#pragma GCC pop_options

bool avx512_f32_kernel_supported() {
  static const bool ok = __builtin_cpu_supports("avx512f");
  return ok;
}

#else

bool avx512_f32_kernel_supported() { return false; }

void gemm_f32_12x32_avx512(size_t, const float*, size_t, const float*, size_t, const float*,
                           size_t, float*, size_t) {
  LST_FAIL("gemm_f32_12x32_avx512: not in this build");
}

#endif

}  // namespace lst::gemm_detail
