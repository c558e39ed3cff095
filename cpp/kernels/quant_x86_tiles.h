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

// Q8 tile on 256-bit blocks; Dot::dot(x, w) is the int8 block dot product (8 x i32).
template <class Dot, int MR, int NR>
inline void q8_tile_256(const Q8Args& a, size_t m, size_t n) {
  const size_t kp = a.nb * kQ8Block;
  __m256 acc[MR][NR];
  for (int r = 0; r < MR; ++r)
    for (int c = 0; c < NR; ++c) acc[r][c] = _mm256_setzero_ps();
  for (size_t b = 0; b < a.nb; ++b) {
    __m256i w[NR];
    for (int c = 0; c < NR; ++c) w[c] = load32(a.wq + (n + c) * kp + b * kQ8Block);
    for (int r = 0; r < MR; ++r) {
      const __m256i x = load32(a.xq + (m + r) * kp + b * kQ8Block);
      const float xs = a.xs[(m + r) * a.nb + b];
      for (int c = 0; c < NR; ++c) {
        const __m256 d = _mm256_cvtepi32_ps(Dot::dot(x, w[c]));
        acc[r][c] = _mm256_fmadd_ps(d, _mm256_set1_ps(xs * a.ws[(n + c) * a.nb + b]), acc[r][c]);
      }
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int c = 0; c < NR; ++c)
      a.y[(m + r) * a.ldy + n + c] = (a.bias ? a.bias[n + c] : 0.0f) + hsum256(acc[r][c]);
}

}  // namespace
}  // namespace lst::quant_detail
