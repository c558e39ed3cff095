// Vector erf over the simd.h vocabulary, for the exact (erf) GELU. Two
// minimax pieces (after N. Juffa's erff, max ~1 ulp with FMA):
//   |x| <= 0.927734375: erf(x) = x + x * P(x^2)
//   |x| >  0.927734375: erf(x) = sign(x) * (1 - exp(Q(|x|)))
// both evaluated for every lane and selected, so there is no branch. Max abs
// error vs std::erf <= 1.5e-7 (tests/cpp/test_kernels.cpp sweeps it).
#pragma once
#include <cmath>

#include "kernels/simd.h"
#include "kernels/simd_exp.h"

namespace lst::simd {

namespace erf_detail {
constexpr float kSplit = 0.927734375f;  // 475/512
// lanes of a where mask is set, else b; |x|; the sign bit of s on x >= 0.
#if LST_SIMD_WASM
inline vf select(v128_t mask, vf a, vf b) { return wasm_v128_bitselect(a, b, mask); }
inline v128_t greater(vf a, vf b) { return wasm_f32x4_gt(a, b); }
inline vf abs(vf x) { return wasm_f32x4_abs(x); }
inline vf copy_sign(vf x, vf s) {
  return wasm_v128_or(x, wasm_v128_and(s, wasm_f32x4_splat(-0.0f)));
}
#elif LST_SIMD_AVX2
inline vf select(__m256 mask, vf a, vf b) { return _mm256_blendv_ps(b, a, mask); }
inline __m256 greater(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
inline vf abs(vf x) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x); }
inline vf copy_sign(vf x, vf s) { return _mm256_or_ps(x, _mm256_and_ps(s, _mm256_set1_ps(-0.0f))); }
#elif LST_SIMD_SSE2
inline vf select(__m128 mask, vf a, vf b) {
  return _mm_or_ps(_mm_and_ps(mask, a), _mm_andnot_ps(mask, b));
}
inline __m128 greater(vf a, vf b) { return _mm_cmpgt_ps(a, b); }
inline vf abs(vf x) { return _mm_andnot_ps(_mm_set1_ps(-0.0f), x); }
inline vf copy_sign(vf x, vf s) { return _mm_or_ps(x, _mm_and_ps(s, _mm_set1_ps(-0.0f))); }
#endif
}  // namespace erf_detail

inline vf erf(vf x) {
#if LST_SIMD_SCALAR
  return {std::erf(x.x)};
#else
  using namespace erf_detail;
  const vf t = min(abs(x), splat(10.0f));  // erf(10) is 1 in float; keeps the polynomial finite
  const vf s = mul(t, t);
  // |x| > kSplit: 1 - exp(t * (-1 + t * (...)))
  vf r = madd(splat(-1.72853470e-5f), t, splat(3.83197126e-4f));
  vf u = madd(splat(-3.88396438e-3f), t, splat(2.42546219e-2f));
  r = madd(r, s, u);
  r = madd(r, t, splat(-1.06777877e-1f));
  r = madd(r, t, splat(-6.34846687e-1f));
  r = madd(r, t, splat(-1.28717512e-1f));
  r = madd(r, t, sub(zero(), t));
  const vf big = copy_sign(sub(splat(1.0f), exp(r)), x);
  // |x| <= kSplit: x + x * P(x^2)
  vf p = madd(splat(-5.96761703e-4f), s, splat(4.99119423e-3f));
  p = madd(p, s, splat(-2.67681349e-2f));
  p = madd(p, s, splat(1.12819925e-1f));
  p = madd(p, s, splat(-3.76125336e-1f));
  p = madd(p, s, splat(1.28379166e-1f));
  const vf small = madd(p, x, x);
  return select(greater(t, splat(kSplit)), big, small);
#endif
}

}  // namespace lst::simd
