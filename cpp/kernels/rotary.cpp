#include "kernels/rotary.h"

#include <cmath>

#include "kernels/simd.h"

namespace lst {

void rotary_tables(float* cos_out, float* sin_out, int64_t t0, size_t count,
                   const float* freqs, size_t half) {
  for (size_t r = 0; r < count; ++r) {
    const double t = static_cast<double>(t0 + static_cast<int64_t>(r));
    for (size_t i = 0; i < half; ++i) {
      const double a = t * static_cast<double>(freqs[i]);
      cos_out[r * half + i] = static_cast<float>(std::cos(a));
      sin_out[r * half + i] = static_cast<float>(std::sin(a));
    }
  }
}

// x'[2i] = a c - b s, x'[2i+1] = b c + a s  (sign -1: the inverse rotation)
// as x * (c, c) + swap_pairs(x) * (-s, s), kLanes/2 pairs per vector.
static inline void rotate(float* x, size_t stride, size_t rows, size_t heads, size_t dh,
                          const float* cos_t, const float* sin_t, size_t half, float sign) {
  using namespace simd;
  constexpr size_t kPairs = kLanes / 2;
  alignas(64) float alt[kLanes > 1 ? kLanes : 2];
  for (int l = 0; l < kLanes; ++l) alt[l] = (l % 2 ? sign : -sign);
  for (size_t r = 0; r < rows; ++r) {
    const float* c = cos_t + r * half;
    const float* s = sin_t + r * half;
    for (size_t h = 0; h < heads; ++h) {
      float* v = x + r * stride + h * dh;
      size_t i = 0;
#if !LST_SIMD_SCALAR
      if constexpr (kPairs >= 1) {
        const vf valt = load(alt);
        for (; i + kPairs <= half; i += kPairs) {
          const vf xv = load(v + 2 * i);
          const vf sv = mul(load_dup_pairs(s + i), valt);
          store(v + 2 * i, madd(swap_pairs(xv), sv, mul(xv, load_dup_pairs(c + i))));
        }
      }
#endif
      for (; i < half; ++i) {
        const float a = v[2 * i], b = v[2 * i + 1], si = sign * s[i];
        v[2 * i] = a * c[i] - b * si;
        v[2 * i + 1] = b * c[i] + a * si;
      }
    }
  }
}

void rotary_apply(float* x, size_t stride, size_t rows, size_t heads, size_t dh,
                  const float* cos_t, const float* sin_t, size_t half) {
  rotate(x, stride, rows, heads, dh, cos_t, sin_t, half, 1.0f);
}

void rotary_apply_inverse(float* x, size_t stride, size_t rows, size_t heads, size_t dh,
                          const float* cos_t, const float* sin_t, size_t half) {
  rotate(x, stride, rows, heads, dh, cos_t, sin_t, half, -1.0f);
}

}  // namespace lst
