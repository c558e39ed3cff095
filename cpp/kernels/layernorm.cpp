#include "kernels/layernorm.h"

#include <cmath>

#include "kernels/simd.h"

namespace lst {

namespace {
// Two passes (mean, then centred squares) keep float32 within a few ulp of
// the float64 reference even for rows with a large mean.
inline void layernorm_row(float* out, const float* in, const float* w, const float* b,
                          size_t dim) {
  using namespace simd;
  vf acc = zero();
  size_t i = 0;
  for (; i + kLanes <= dim; i += kLanes) acc = add(acc, load(in + i));
  float sum = reduce_sum(acc);
  for (; i < dim; ++i) sum += in[i];
  const float mean = sum / static_cast<float>(dim);
  const vf vmean = splat(mean);
  acc = zero();
  i = 0;
  for (; i + kLanes <= dim; i += kLanes) {
    vf d = sub(load(in + i), vmean);
    acc = madd(d, d, acc);
  }
  float sq = reduce_sum(acc);
  for (; i < dim; ++i) sq += (in[i] - mean) * (in[i] - mean);
  const float rstd = 1.0f / std::sqrt(sq / static_cast<float>(dim) + kLayerNormEps);
  const vf vrstd = splat(rstd);
  i = 0;
  for (; i + kLanes <= dim; i += kLanes) {
    vf xhat = mul(sub(load(in + i), vmean), vrstd);
    store(out + i, madd(xhat, load(w + i), load(b + i)));
  }
  for (; i < dim; ++i) out[i] = (in[i] - mean) * rstd * w[i] + b[i];
}
}  // namespace

void layernorm_forward(float* out, size_t out_stride, const float* in, size_t in_stride,
                       const float* w, const float* b, size_t rows, size_t dim) {
  for (size_t r = 0; r < rows; ++r) layernorm_row(out + r * out_stride, in + r * in_stride, w, b, dim);
}

void layernorm_forward_scalar(float* out, size_t out_stride, const float* in,
                              size_t in_stride, const float* w, const float* b, size_t rows,
                              size_t dim) {
  for (size_t r = 0; r < rows; ++r) {
    const float* x = in + r * in_stride;
    double mean = 0, var = 0;
    for (size_t i = 0; i < dim; ++i) mean += x[i];
    mean /= dim;
    for (size_t i = 0; i < dim; ++i) var += (x[i] - mean) * (x[i] - mean);
    var /= dim;
    double rstd = 1.0 / std::sqrt(var + kLayerNormEps);
    for (size_t i = 0; i < dim; ++i)
      out[r * out_stride + i] = static_cast<float>((x[i] - mean) * rstd * w[i] + b[i]);
  }
}

}  // namespace lst
