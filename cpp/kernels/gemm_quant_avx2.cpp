// x86-64 q8 and f16 kernels for AVX2 + FMA + F16C, compiled for that
// instruction set by the pragma below (not the build's -march) and chosen at
// run time (gemm_quant.cpp), so the binary runs on any x86-64 with AVX2.
// int8 dots: |w| (u8) times x*sign(w) (s8) with maddubs, ggml's trick for its
// unsigned x signed multiply; |w| <= 128 and |x| <= 127 (activations are
// quantised to +-127), so the 16-bit pair sums (<= 32512) cannot saturate.
// Multiply-adds are explicit FMAs, tails included, so no element depends on
// how the compiler contracts a loop.
#include "kernels/quant_tiling.h"

// GCC only: clang ignores `#pragma GCC target` (and clang 14 has no f16c in
// __builtin_cpu_supports); a clang build (scripts/fuzz.sh) runs the scalar
// twin or the build's own ISA instead.
#if defined(__x86_64__) && !defined(__EMSCRIPTEN__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
#include "kernels/quant_x86_tiles.h"

namespace lst::quant_detail {
namespace {

struct Avx2Dot {
  static __m256i dot(__m256i x, __m256i w) {
    const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
    return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
  }
};

struct Avx2Q8 {
  template <int MR, int NR>
  static void run(const Q8Args& a, size_t m, size_t n) {
    q8_tile_256<Avx2Dot, MR, NR>(a, m, n);
  }
};

struct Avx2F16 {
  template <int MR, int NR>
  static void run(const F16Args& a, size_t m, size_t n) {
    const size_t K = a.K;
    __m256 acc[MR][NR];
    for (int r = 0; r < MR; ++r)
      for (int c = 0; c < NR; ++c) acc[r][c] = _mm256_setzero_ps();
    size_t k = 0;
    for (; k + 8 <= K; k += 8) {
      __m256 x[MR];
      for (int r = 0; r < MR; ++r) x[r] = _mm256_loadu_ps(a.x + (m + r) * K + k);
      for (int c = 0; c < NR; ++c) {
        const __m256 w = _mm256_cvtph_ps(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(a.w + (n + c) * K + k)));
        for (int r = 0; r < MR; ++r) acc[r][c] = _mm256_fmadd_ps(x[r], w, acc[r][c]);
      }
    }
    for (int r = 0; r < MR; ++r)
      for (int c = 0; c < NR; ++c) {
        float s = hsum256(acc[r][c]);
        for (size_t t = k; t < K; ++t)
          s = fma1(a.x[(m + r) * K + t], half_to_float(a.w[(n + c) * K + t]), s);
        a.y[(m + r) * a.ldy + n + c] = (a.bias ? a.bias[n + c] : 0.0f) + s;
      }
  }
};

// q8: GEMV 1 x 8, GEMM 4 x 8 (an output per lane); f16: GEMV 8 chains, GEMM 4 x 2.
void q8_avx2(size_t M, size_t n0, size_t n1, size_t nb, const int8_t* xq, const float* xs,
             const int8_t* wq, const float* ws, const float* bias, float* y, size_t ldy) {
  tile_loop<Avx2Q8, 8, 4, 8>(Q8Args{nb, xq, xs, wq, ws, bias, y, ldy}, M, n0, n1);
}
void f16_avx2(size_t M, size_t n0, size_t n1, size_t K, const float* x, const uint16_t* w,
              const float* bias, float* y, size_t ldy) {
  tile_loop<Avx2F16, 8, 4, 2>(F16Args{K, x, w, bias, y, ldy}, M, n0, n1);
}

const QuantKernels kAvx2{"q8_avx2 + f16_avx2", q8_avx2, f16_avx2, nullptr};

}  // namespace
}  // namespace lst::quant_detail
#pragma GCC pop_options

// The CPU check runs compiled for the build's baseline, never for the kernels' ISA.
namespace lst::quant_detail {

const QuantKernels* quant_kernels_avx2() {
  __builtin_cpu_init();
  const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                  __builtin_cpu_supports("f16c");
  return ok ? &kAvx2 : nullptr;
}

}  // namespace lst::quant_detail

#else

namespace lst::quant_detail {
const QuantKernels* quant_kernels_avx2() { return nullptr; }
}  // namespace lst::quant_detail

#endif
