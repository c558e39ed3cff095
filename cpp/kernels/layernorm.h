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

// Training's forward: the same, also saving mean and rstd (rows) for the backward.
void layernorm_forward(float* out, size_t out_stride, float* mean, float* rstd, const float* in,
                       size_t in_stride, const float* w, const float* b, size_t rows, size_t dim);
// Rebuilds the forward's output from its saved mean / rstd (the backward
// recomputes it for weight gradients instead of keeping it).
void layernorm_recompute(float* out, size_t out_stride, const float* in, size_t in_stride,
                         const float* mean, const float* rstd, const float* w, const float* b,
                         size_t rows, size_t dim);
// din (rows, dim) += dLN/din^T dout; dw (dim) += sum_rows dout * xhat, db (dim)
// += sum_rows dout (dw / db may be null: not wanted). Accumulates (llm.c).
void layernorm_backward(float* din, size_t din_stride, float* dw, float* db, const float* dout,
                        size_t dout_stride, const float* in, size_t in_stride, const float* mean,
                        const float* rstd, const float* w, size_t rows, size_t dim);

// Scalar twin for the tests.
void layernorm_forward_scalar(float* out, size_t out_stride, const float* in,
                              size_t in_stride, const float* w, const float* b, size_t rows,
                              size_t dim);

}  // namespace lst
