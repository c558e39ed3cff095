// LayerNorm over the last dimension (eps 1e-5, biased variance), as
// torch.nn.LayerNorm. Raw pointers and strides; no allocation.
#pragma once
#include <cstddef>

namespace lst {

constexpr float kLayerNormEps = 1e-5f;

// out[r, :] = (in[r, :] - mean) / sqrt(var + eps) * w + b      in, out: (rows, dim)
// in == out is allowed.
void layernorm_forward(float* out, size_t out_stride, const float* in, size_t in_stride,
                       const float* w, const float* b, size_t rows, size_t dim);

// Scalar twin for the tests.
void layernorm_forward_scalar(float* out, size_t out_stride, const float* in,
                              size_t in_stride, const float* w, const float* b, size_t rows,
                              size_t dim);

}  // namespace lst
