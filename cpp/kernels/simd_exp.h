// Vector exp over the simd.h vocabulary (Cephes expf: range reduction by
// ln 2, degree-5 polynomial; ~1 ulp on the softmax range). Inputs below
// -87.3 give exactly 0, so a -FLT_MAX masked score contributes nothing, as
// in PyTorch; exp(0) is exactly 1, so a fully masked row stays uniform.
#pragma once
#include <cmath>

#include "kernels/simd.h"

namespace lst::simd {

namespace exp_detail {
constexpr float kLo = -87.3365478515625f, kHi = 88.0f;
constexpr float kLog2e = 1.44269504088896341f, kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
constexpr float kP0 = 1.9875691500E-4f, kP1 = 1.3981999507E-3f, kP2 = 8.3334519073E-3f,
                kP3 = 4.1665795894E-2f, kP4 = 1.6666665459E-1f, kP5 = 5.0000001201E-1f;
// Polynomial part, shared by every backend: 1 + r + r^2 * P(r).
inline vf exp_poly(vf r) {
  vf y = splat(kP0);
  y = madd(y, r, splat(kP1));
  y = madd(y, r, splat(kP2));
  y = madd(y, r, splat(kP3));
  y = madd(y, r, splat(kP4));
  y = madd(y, r, splat(kP5));
  return add(madd(y, mul(r, r), r), splat(1.0f));
}
}  // namespace exp_detail

inline vf exp(vf x) {
  using namespace exp_detail;
#if LST_SIMD_WASM
  v128_t under = wasm_f32x4_lt(x, wasm_f32x4_splat(kLo));
  x = wasm_f32x4_min(wasm_f32x4_max(x, wasm_f32x4_splat(kLo)), wasm_f32x4_splat(kHi));
  v128_t fx = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(kLog2e)));
  vf r = sub(sub(x, mul(fx, splat(kLn2Hi))), mul(fx, splat(kLn2Lo)));
  v128_t n = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(fx), wasm_i32x4_splat(127)), 23);
  return wasm_v128_andnot(wasm_f32x4_mul(exp_poly(r), n), under);
#elif LST_SIMD_AVX2
  __m256 under = _mm256_cmp_ps(x, _mm256_set1_ps(kLo), _CMP_LT_OQ);
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(kLo)), _mm256_set1_ps(kHi));
  __m256 fx = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)),
                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  vf r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(kLn2Lo), _mm256_fnmadd_ps(fx, _mm256_set1_ps(kLn2Hi), x));
  __m256i n = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(under, _mm256_mul_ps(exp_poly(r), _mm256_castsi256_ps(n)));
#elif LST_SIMD_SSE2
  __m128 under = _mm_cmplt_ps(x, _mm_set1_ps(kLo));
  x = _mm_min_ps(_mm_max_ps(x, _mm_set1_ps(kLo)), _mm_set1_ps(kHi));
  __m128i ni = _mm_cvtps_epi32(_mm_mul_ps(x, _mm_set1_ps(kLog2e)));  // round to nearest
  __m128 fx = _mm_cvtepi32_ps(ni);
  vf r = _mm_sub_ps(_mm_sub_ps(x, _mm_mul_ps(fx, _mm_set1_ps(kLn2Hi))), _mm_mul_ps(fx, _mm_set1_ps(kLn2Lo)));
  __m128i n = _mm_slli_epi32(_mm_add_epi32(ni, _mm_set1_epi32(127)), 23);
  return _mm_andnot_ps(under, _mm_mul_ps(exp_poly(r), _mm_castsi128_ps(n)));
#else
  return {x.x < kLo ? 0.0f : std::exp(x.x)};
#endif
}

}  // namespace lst::simd
