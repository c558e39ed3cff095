#include "kernels/layernorm.h"

#include <cmath>

#include "kernels/simd.h"

namespace lst {

namespace {
// Two passes (mean, then centred squares) keep float32 within a few ulp of
// the float64 reference even for rows with a large mean.
inline void layernorm_row(float* out, const float* in, const float* w, const float* b,
                          size_t dim, float* mean_out = nullptr, float* rstd_out = nullptr) {
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
  if (mean_out) *mean_out = mean, *rstd_out = rstd;
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

void layernorm_forward(float* out, size_t out_stride, float* mean, float* rstd, const float* in,
                       size_t in_stride, const float* w, const float* b, size_t rows, size_t dim) {
  for (size_t r = 0; r < rows; ++r)
    layernorm_row(out + r * out_stride, in + r * in_stride, w, b, dim, mean + r, rstd + r);
}

void layernorm_recompute(float* out, size_t out_stride, const float* in, size_t in_stride,
                         const float* mean, const float* rstd, const float* w, const float* b,
                         size_t rows, size_t dim) {
  using namespace simd;
  for (size_t r = 0; r < rows; ++r) {
    const float* x = in + r * in_stride;
    float* y = out + r * out_stride;
    const vf vm = splat(mean[r]), vr = splat(rstd[r]);
    size_t i = 0;
    for (; i + kLanes <= dim; i += kLanes)
      store(y + i, madd(mul(sub(load(x + i), vm), vr), load(w + i), load(b + i)));
    for (; i < dim; ++i) y[i] = (x[i] - mean[r]) * rstd[r] * w[i] + b[i];
  }
}

void layernorm_backward(float* din, size_t din_stride, float* dw, float* db, const float* dout,
                        size_t dout_stride, const float* in, size_t in_stride, const float* mean,
                        const float* rstd, const float* w, size_t rows, size_t dim) {
  using namespace simd;
  for (size_t r = 0; r < rows; ++r) {
    const float* x = in + r * in_stride;
    const float* dy = dout + r * dout_stride;
    float* dx = din + r * din_stride;
    const float m = mean[r], rs = rstd[r];
    const vf vm = splat(m), vr = splat(rs);
    // dxhat = dy * w;  dx += rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
    vf a1 = zero(), a2 = zero();
    size_t i = 0;
    for (; i + kLanes <= dim; i += kLanes) {
      const vf xh = mul(sub(load(x + i), vm), vr), g = load(dy + i);
      const vf dxh = mul(g, load(w + i));
      a1 = add(a1, dxh);
      a2 = madd(dxh, xh, a2);
      if (dw) store(dw + i, madd(g, xh, load(dw + i)));
      if (db) store(db + i, add(g, load(db + i)));
    }
    float s1 = reduce_sum(a1), s2 = reduce_sum(a2);
    for (size_t j = i; j < dim; ++j) {
      const float xh = (x[j] - m) * rs, dxh = dy[j] * w[j];
      s1 += dxh;
      s2 += dxh * xh;
      if (dw) dw[j] += dy[j] * xh;
      if (db) db[j] += dy[j];
    }
    s1 /= static_cast<float>(dim);
    s2 /= static_cast<float>(dim);
    const vf v1 = splat(s1), v2 = splat(s2);
    i = 0;
    for (; i + kLanes <= dim; i += kLanes) {
      const vf xh = mul(sub(load(x + i), vm), vr);
      const vf t = sub(sub(mul(load(dy + i), load(w + i)), v1), mul(xh, v2));
      store(dx + i, madd(vr, t, load(dx + i)));
    }
    for (; i < dim; ++i) {
      const float xh = (x[i] - m) * rs;
      dx[i] += rs * (dy[i] * w[i] - s1 - xh * s2);
    }
  }
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
