// Helpers and the 256-bit q8 tile shared by the x86 kernel files. Included
// AFTER each file's `#pragma GCC target`, so every function here is compiled
// for that file's instruction set; the anonymous namespace keeps the two
// compilations apart (one merged inline copy would run AVX-512 code on an
// AVX2-only CPU).
#pragma once
#include <immintrin.h>

#include "kernels/quant_tiling.h"

namespace lst::quant_detail {
namespace {

inline float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

inline float fma1(float a, float b, float c) {
  return _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a), _mm_set_ss(b), _mm_set_ss(c)));
}

inline __m256i load32(const int8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// The sum of v's eight i32 lanes (exact: integer adds).
inline int32_t hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

// Lane c = the sum of p[c]'s eight lanes: eight block dot products at once.
inline __m256i sum_lanes8(const __m256i p[8]) {
  const __m256i h0123 = _mm256_hadd_epi32(_mm256_hadd_epi32(p[0], p[1]), _mm256_hadd_epi32(p[2], p[3]));
  const __m256i h4567 = _mm256_hadd_epi32(_mm256_hadd_epi32(p[4], p[5]), _mm256_hadd_epi32(p[6], p[7]));
  return _mm256_add_epi32(_mm256_permute2x128_si256(h0123, h4567, 0x20),
                          _mm256_permute2x128_si256(h0123, h4567, 0x31));
}

// Q8 tile on 256-bit blocks; Dot::dot(x, w) is the int8 block dot product
// as eight i32 partial sums. Each block's dot product is reduced to one exact
// i32 before any float arithmetic, and the float steps are the scalar twin's
// (gemm_quant.h): acc + (xs * ws) * d, a multiply then an add, never fused
// (this file is built with -ffp-contract=off), so every kernel set and every
// platform gives the same bits. NR is 1 (edge columns) or 8 (one output per lane).
template <class Dot, int MR, int NR>
inline void q8_tile_256(const Q8Args& a, size_t m, size_t n) {
  static_assert(NR == 1 || NR == 8, "q8 tiles are one column or eight");
  const size_t kp = a.nb * kQ8Block;
  if constexpr (NR == 1) {
    float acc[MR] = {};
    for (size_t b = 0; b < a.nb; ++b) {
      const __m256i w = load32(a.wq + n * kp + b * kQ8Block);
      const float ws = a.ws[n * a.nb + b];
      for (int r = 0; r < MR; ++r) {
        const int32_t d = hsum_epi32(Dot::dot(load32(a.xq + (m + r) * kp + b * kQ8Block), w));
        acc[r] = acc[r] + (a.xs[(m + r) * a.nb + b] * ws) * static_cast<float>(d);
      }
    }
    for (int r = 0; r < MR; ++r) a.y[(m + r) * a.ldy + n] = (a.bias ? a.bias[n] : 0.0f) + acc[r];
  } else {
    __m256 acc[MR];
    for (int r = 0; r < MR; ++r) acc[r] = _mm256_setzero_ps();
    const float* ws = a.ws + n * a.nb;
    const size_t nb = a.nb;
    for (size_t b = 0; b < nb; ++b) {
      const __m256 wsv = _mm256_setr_ps(ws[b], ws[nb + b], ws[2 * nb + b], ws[3 * nb + b],
                                        ws[4 * nb + b], ws[5 * nb + b], ws[6 * nb + b], ws[7 * nb + b]);
      const int8_t* wb = a.wq + n * kp + b * kQ8Block;
      for (int r = 0; r < MR; ++r) {
        const __m256i x = load32(a.xq + (m + r) * kp + b * kQ8Block);
        __m256i p[8];
        for (int c = 0; c < 8; ++c) p[c] = Dot::dot(x, load32(wb + c * kp));
        const __m256 s = _mm256_mul_ps(_mm256_set1_ps(a.xs[(m + r) * nb + b]), wsv);
        acc[r] = _mm256_add_ps(acc[r], _mm256_mul_ps(s, _mm256_cvtepi32_ps(sum_lanes8(p))));
      }
    }
    const __m256 bias = a.bias ? _mm256_loadu_ps(a.bias + n) : _mm256_setzero_ps();
    for (int r = 0; r < MR; ++r) _mm256_storeu_ps(a.y + (m + r) * a.ldy + n, _mm256_add_ps(bias, acc[r]));
  }
}

}  // namespace
}  // namespace lst::quant_detail
