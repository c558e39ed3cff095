// Elementwise activations and exp. GELU is the exact (erf) form the seed's
// nn.GELU() computes; a tanh approximation is off by up to 2e-4 and fails the
// golden tests.
#pragma once
#include <cstddef>

namespace lst {

// x[i] = 0.5 x (1 + erf(x / sqrt 2)), in place.
void gelu_forward(float* x, size_t n);
void gelu_forward_scalar(float* x, size_t n);

// d(gelu)/dx at x: Phi(x) + x phi(x).
float gelu_grad(float x);

}  // namespace lst
