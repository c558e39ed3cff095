#include "kernels/long_short_attention.h"

#include <cfloat>
#include <cmath>
#include <cstring>

#include "kernels/simd.h"

namespace lst {

namespace {
constexpr float kMasked = -FLT_MAX;  // the seed's masked_fill value

// In-place softmax of s[0, n) where masked entries hold -FLT_MAX. Returns the
// sum of exponentials before normalisation is applied (always >= 1).
inline void softmax_inplace(float* s, size_t n) {
  float m = kMasked;
  for (size_t i = 0; i < n; ++i) m = s[i] > m ? s[i] : m;
  float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    // exp(-FLT_MAX - m) is exactly 0 unless every entry is masked (m =
    // -FLT_MAX), in which case all are exp(0) = 1: uniform, as in PyTorch.
    s[i] = std::exp(s[i] - m);
    sum += s[i];
  }
  const float inv = 1.0f / sum;
  for (size_t i = 0; i < n; ++i) s[i] *= inv;
}
}  // namespace

void dynamic_projection(float* out, size_t out_stride, const float* kv, size_t kv_stride,
                        size_t rows, const float* Wp, size_t r, size_t dh,
                        const uint8_t* row_mask, float* scratch) {
  // scratch holds p transposed: (r, rows), so each softmax runs over a row.
  for (size_t i = 0; i < rows; ++i) {
    const bool real = row_mask == nullptr || row_mask[i] != 0;
    for (size_t c = 0; c < r; ++c)
      scratch[c * rows + i] = real ? simd::dot(kv + i * kv_stride, Wp + c * dh, dh) : kMasked;
  }
  for (size_t c = 0; c < r; ++c) {
    float* p = scratch + c * rows;
    softmax_inplace(p, rows);
    float* o = out + c * out_stride;
    std::memset(o, 0, dh * sizeof(float));
    for (size_t i = 0; i < rows; ++i)
      if (p[i] != 0.0f) simd::axpy(p[i], kv + i * kv_stride, o, dh);
  }
}

void attend_long_short_row(float* out, const float* q, size_t dh, const GlobalKeys& g,
                           const LocalKeys& l, float* scratch, float* probs) {
  const size_t G = g.count, L = l.count;
  float* s = scratch;
  float m = kMasked;
  for (size_t j = 0; j < G; ++j) {
    s[j] = j < g.visible ? simd::dot(q, g.rows + j * g.stride, dh) : kMasked;
    m = s[j] > m ? s[j] : m;
  }
  auto key_of = [&](int64_t pos) -> const float* {
    if (pos < 0 || pos >= l.seq_len) return l.oob_key;
    return l.rows + (pos - l.rows_pos0) * static_cast<int64_t>(l.stride);
  };
  for (size_t i = 0; i < L; ++i) {
    const int64_t pos = l.first_pos + static_cast<int64_t>(i);
    const bool visible = pos >= 0 && pos < l.seq_len && pos <= l.last_visible &&
                         (l.mask == nullptr || l.mask[pos - l.rows_pos0] != 0);
    s[G + i] = visible ? simd::dot(q, key_of(pos), dh) : kMasked;
    m = s[G + i] > m ? s[G + i] : m;
  }
  std::memset(out, 0, dh * sizeof(float));
  if (m == kMasked) {
    // Every slot masked (SPEC 4.8): uniform over all G + L slots, out-of-range
    // windows, invisible segments and future keys included.
    const float w = 1.0f / static_cast<float>(G + L);
    for (size_t j = 0; j < G; ++j) simd::axpy(w, g.rows + j * g.stride, out, dh);
    for (size_t i = 0; i < L; ++i) simd::axpy(w, key_of(l.first_pos + int64_t(i)), out, dh);
    if (probs)
      for (size_t j = 0; j < G + L; ++j) probs[j] = w;
    return;
  }
  float sum = 0.0f;
  for (size_t j = 0; j < G + L; ++j) {
    s[j] = s[j] == kMasked ? 0.0f : std::exp(s[j] - m);
    sum += s[j];
  }
  const float inv = 1.0f / sum;
  for (size_t j = 0; j < G; ++j)
    if (s[j] != 0.0f) simd::axpy(s[j] * inv, g.rows + j * g.stride, out, dh);
  for (size_t i = 0; i < L; ++i)
    if (s[G + i] != 0.0f) simd::axpy(s[G + i] * inv, key_of(l.first_pos + int64_t(i)), out, dh);
  if (probs)
    for (size_t j = 0; j < G + L; ++j) probs[j] = s[j] * inv;
}

}  // namespace lst
