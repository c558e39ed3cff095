#include "kernels/activations.h"

#include <cmath>

#include "kernels/simd.h"
#include "kernels/simd_erf.h"
#include "kernels/simd_exp.h"

namespace lst {

namespace {
constexpr float kInvSqrt2 = 0.70710678118654752440f;
constexpr float kInvSqrt2Pi = 0.39894228040143267794f;

inline simd::vf gelu(simd::vf x) {
  using namespace simd;
  const vf half_x = mul(splat(0.5f), x);
  return madd(half_x, erf(mul(x, splat(kInvSqrt2))), half_x);
}
inline float gelu(float x) { return 0.5f * x * (1.0f + std::erf(x * kInvSqrt2)); }
}  // namespace

void gelu_forward_scalar(float* x, size_t n) {
  for (size_t i = 0; i < n; ++i)
    x[i] = static_cast<float>(0.5 * x[i] * (1.0 + std::erf(x[i] * 0.70710678118654752440)));
}

void gelu_forward(float* out, const float* in, size_t n) {
  using namespace simd;
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) store(out + i, gelu(load(in + i)));
  for (; i < n; ++i) out[i] = gelu(in[i]);
}

void gelu_forward(float* x, size_t n) { gelu_forward(x, x, n); }

void gelu_backward(float* din, const float* dout, const float* in, size_t n) {
  using namespace simd;
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const vf x = load(in + i);
    const vf cdf = madd(splat(0.5f), erf(mul(x, splat(kInvSqrt2))), splat(0.5f));
    const vf pdf = mul(exp(mul(splat(-0.5f), mul(x, x))), splat(kInvSqrt2Pi));
    store(din + i, madd(load(dout + i), madd(x, pdf, cdf), load(din + i)));
  }
  for (; i < n; ++i) {
    const float x = in[i];
    const float cdf = 0.5f * (1.0f + std::erf(x * kInvSqrt2));
    const float pdf = std::exp(-0.5f * x * x) * kInvSqrt2Pi;
    din[i] += dout[i] * (cdf + x * pdf);
  }
}

}  // namespace lst
