// Elementwise activations. GELU is the exact (erf) form the reference package's nn.GELU()
// computes (a tanh approximation is off by up to 2e-4 and fails the golden
// tests), on the vector erf of simd_erf.h. Forward and backward side by side;
// the backward accumulates (llm.c).
#pragma once
#include <cstddef>

namespace lst {

// x[i] = 0.5 x (1 + erf(x / sqrt 2)), in place.
void gelu_forward(float* x, size_t n);
// out (n) = gelu(in (n)).
void gelu_forward(float* out, const float* in, size_t n);
// din (n) += dout (n) * gelu'(in (n)),  gelu'(x) = Phi(x) + x phi(x).
void gelu_backward(float* din, const float* dout, const float* in, size_t n);

// Scalar twin (std::erf in double) for the tests.
void gelu_forward_scalar(float* x, size_t n);

}  // namespace lst
