// x86-64 q8 and f16 kernels for AVX-512 (F, BW, VL) with VNNI, compiled for
// it by the pragma below and chosen at run time where the CPU has it:
//   q8_avx512vnni: vpdpbusd int8 dot products on 256-bit blocks (one block
//     of 32 is one register), 32 registers for wider tiles;
//   f16_avx512: 16 halves a step with the 512-bit vcvtph2ps.
// Same int8 sign trick as the AVX2 kernels (no saturation in vpdpbusd).
#include "kernels/quant_tiling.h"

// GCC only: clang ignores `#pragma GCC target` (and clang 14 has no f16c in
// __builtin_cpu_supports); a clang build (scripts/fuzz.sh) runs the scalar
// twin or the build's own ISA instead.
#if defined(__x86_64__) && !defined(__EMSCRIPTEN__) && !defined(__clang__)
#pragma GCC push_options
// GCC 12's own _mm512_cvtph_ps / extract intrinsics pass an undefined vector
// as the unused merge operand, which -Wuninitialized reports.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")
#include "kernels/quant_x86_tiles.h"

namespace lst::quant_detail {
namespace {

struct VnniDot {
  static __m256i dot(__m256i x, __m256i w) {
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_sign_epi8(w, w),
                               _mm256_sign_epi8(x, w));
  }
};

struct VnniQ8 {
  template <int MR, int NR>
  static void run(const Q8Args& a, size_t m, size_t n) {
    q8_tile_256<VnniDot, MR, NR>(a, m, n);
  }
};

struct Avx512F16 {
  template <int MR, int NR>
  static void run(const F16Args& a, size_t m, size_t n) {
    const size_t K = a.K;
    __m512 acc[MR][NR];
    for (int r = 0; r < MR; ++r)
      for (int c = 0; c < NR; ++c) acc[r][c] = _mm512_setzero_ps();
    size_t k = 0;
    for (; k + 16 <= K; k += 16) {
      __m512 x[MR];
      for (int r = 0; r < MR; ++r) x[r] = _mm512_loadu_ps(a.x + (m + r) * K + k);
      for (int c = 0; c < NR; ++c) {
        const __m512 w = _mm512_cvtph_ps(
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.w + (n + c) * K + k)));
        for (int r = 0; r < MR; ++r) acc[r][c] = _mm512_fmadd_ps(x[r], w, acc[r][c]);
      }
    }
    for (int r = 0; r < MR; ++r)
      for (int c = 0; c < NR; ++c) {
        const __m512 v = acc[r][c];
        float s = hsum256(_mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1)));
        for (size_t t = k; t < K; ++t)
          s = fma1(a.x[(m + r) * K + t], half_to_float(a.w[(n + c) * K + t]), s);
        a.y[(m + r) * a.ldy + n + c] = (a.bias ? a.bias[n + c] : 0.0f) + s;
      }
  }
};

// q8: GEMV 1 x 8, GEMM 4 x 8 (an output per lane); f16 (32 registers): GEMV 8 chains, GEMM 4 x 4.
void q8_avx512vnni(size_t M, size_t n0, size_t n1, size_t nb, const int8_t* xq, const float* xs,
                   const int8_t* wq, const float* ws, const float* bias, float* y, size_t ldy) {
  tile_loop<VnniQ8, 8, 4, 8>(Q8Args{nb, xq, xs, wq, ws, bias, y, ldy}, M, n0, n1);
}
void f16_avx512(size_t M, size_t n0, size_t n1, size_t K, const float* x, const uint16_t* w,
                const float* bias, float* y, size_t ldy) {
  tile_loop<Avx512F16, 8, 4, 4>(F16Args{K, x, w, bias, y, ldy}, M, n0, n1);
}

const QuantKernels kAvx512{"q8_avx512vnni + f16_avx512", q8_avx512vnni, f16_avx512, nullptr};

}  // namespace
}  // namespace lst::quant_detail
#pragma GCC diagnostic pop
#pragma GCC pop_options

// The CPU check runs compiled for the build's baseline, never for the kernels' ISA.
namespace lst::quant_detail {

const QuantKernels* quant_kernels_avx512vnni() {
  __builtin_cpu_init();
  const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                  __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx512f") &&
                  __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                  __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vnni");
  return ok ? &kAvx512 : nullptr;
}

}  // namespace lst::quant_detail

#else

namespace lst::quant_detail {
const QuantKernels* quant_kernels_avx512vnni() { return nullptr; }
}  // namespace lst::quant_detail

#endif
