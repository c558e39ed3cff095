#include "kernels/weight_matrix.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"

namespace lst {

const char* weight_format_name(WeightFormat f) {
  switch (f) {
    case WeightFormat::kF32: return "f32";
    case WeightFormat::kF16: return "f16";
    case WeightFormat::kQ8: return "int8";
  }
  return "unknown";
}

WeightFormat parse_weight_format(const char* name) {
  LST_CHECK(name != nullptr, "weight format is null (expected \"f32\", \"f16\" or \"int8\")");
  if (std::strcmp(name, "f32") == 0) return WeightFormat::kF32;
  if (std::strcmp(name, "f16") == 0) return WeightFormat::kF16;
  if (std::strcmp(name, "int8") == 0) return WeightFormat::kQ8;
  LST_FAIL("unknown weight format \"", name, "\" (expected \"f32\", \"f16\" or \"int8\")");
}

float half_to_float(uint16_t h) {
  // sign to bit 31, exponent and mantissa to bits 13..27; the multiply
  // rebiases the exponent (15 -> 127) and normalises subnormals exactly.
  const uint32_t bits = (static_cast<uint32_t>(h & 0x8000u) << 16) |
                        (static_cast<uint32_t>(h & 0x7fffu) << 13);
  float f;
  std::memcpy(&f, &bits, 4);
  return f * 0x1p112f;
}

void quantize_q8_rows(const float* x, size_t rows, size_t cols, int8_t* q, float* scales) {
  const size_t nb = (cols + kQ8Block - 1) / kQ8Block, stride = nb * kQ8Block;
  for (size_t r = 0; r < rows; ++r)
    for (size_t b = 0; b < nb; ++b) {
      const float* src = x + r * cols + b * kQ8Block;
      const size_t n = std::min(kQ8Block, cols - b * kQ8Block);
      float amax = 0.0f;
      for (size_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(src[i]));
      const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
      int8_t* dst = q + r * stride + b * kQ8Block;
      for (size_t i = 0; i < n; ++i)
        dst[i] = static_cast<int8_t>(std::max(-127.0f, std::min(127.0f, std::round(src[i] * inv))));
      for (size_t i = n; i < kQ8Block; ++i) dst[i] = 0;
      scales[r * nb + b] = amax / 127.0f;
    }
}

WeightMatrix WeightMatrix::from_f32(const float* w, size_t rows, size_t cols,
                                    WeightFormat format) {
  LST_CHECK(format != WeightFormat::kF16,
            "WeightMatrix::from_f32: f16 is made by from_f16 (rounded by the writer)");
  WeightMatrix m;
  m.format_ = format;
  m.rows_ = rows;
  m.cols_ = cols;
  if (format == WeightFormat::kF32) {
    m.f32_.assign(w, w + rows * cols);
    return m;
  }
  m.q8_.assign(rows * m.row_stride(), 0);
  m.scales_.assign(rows * m.blocks(), 0.0f);
  quantize_q8_rows(w, rows, cols, m.q8_.data(), m.scales_.data());
  return m;
}

WeightMatrix WeightMatrix::from_f16(const uint16_t* h, size_t rows, size_t cols) {
  WeightMatrix m;
  m.format_ = WeightFormat::kF16;
  m.rows_ = rows;
  m.cols_ = cols;
  m.f16_.assign(h, h + rows * cols);
  return m;
}

WeightMatrix WeightMatrix::from_q8(const int8_t* q, const float* scales, size_t rows,
                                   size_t cols) {
  WeightMatrix m;
  m.format_ = WeightFormat::kQ8;
  m.rows_ = rows;
  m.cols_ = cols;
  const size_t nb = m.blocks(), stride = m.row_stride();
  for (size_t i = 0; i < rows * nb; ++i)
    LST_CHECK(std::isfinite(scales[i]) && scales[i] >= 0.0f, "q8 scale ", scales[i],
              " at index ", i, " is not a finite value >= 0");
  m.scales_.assign(scales, scales + rows * nb);
  m.q8_.assign(rows * stride, 0);
  for (size_t r = 0; r < rows; ++r)
    std::memcpy(m.q8_.data() + r * stride, q + r * cols, cols);
  return m;
}

WeightMatrix WeightMatrix::concat_rows(const WeightMatrix& a, const WeightMatrix& b) {
  LST_CHECK(a.format_ == b.format_ && a.cols_ == b.cols_, "WeightMatrix::concat_rows: ",
            weight_format_name(a.format_), " (", a.rows_, ", ", a.cols_, ") and ",
            weight_format_name(b.format_), " (", b.rows_, ", ", b.cols_, ") do not stack");
  WeightMatrix m = a;
  m.rows_ += b.rows_;
  m.f32_.insert(m.f32_.end(), b.f32_.begin(), b.f32_.end());
  m.f16_.insert(m.f16_.end(), b.f16_.begin(), b.f16_.end());
  m.q8_.insert(m.q8_.end(), b.q8_.begin(), b.q8_.end());
  m.scales_.insert(m.scales_.end(), b.scales_.begin(), b.scales_.end());
  return m;
}

WeightMatrix WeightMatrix::slice_rows(size_t r0, size_t r1) const {
  LST_CHECK(r0 <= r1 && r1 <= rows_, "WeightMatrix::slice_rows: [", r0, ", ", r1,
            ") outside ", rows_, " rows");
  WeightMatrix m;
  m.format_ = format_;
  m.rows_ = r1 - r0;
  m.cols_ = cols_;
  auto slice = [&](const auto& v, size_t per_row, auto& out) {
    if (!v.empty()) out.assign(v.begin() + r0 * per_row, v.begin() + r1 * per_row);
  };
  slice(f32_, cols_, m.f32_);
  slice(f16_, cols_, m.f16_);
  slice(q8_, row_stride(), m.q8_);
  slice(scales_, blocks(), m.scales_);
  return m;
}

size_t WeightMatrix::bytes() const {
  return f32_.size() * 4 + f16_.size() * 2 + q8_.size() + scales_.size() * 4;
}

void WeightMatrix::row_to_f32(size_t r, float* out) const {
  switch (format_) {
    case WeightFormat::kF32:
      std::memcpy(out, f32_.data() + r * cols_, cols_ * sizeof(float));
      return;
    case WeightFormat::kF16:
      for (size_t i = 0; i < cols_; ++i) out[i] = half_to_float(f16_[r * cols_ + i]);
      return;
    case WeightFormat::kQ8: {
      const int8_t* q = q8_.data() + r * row_stride();
      const float* s = scales_.data() + r * blocks();
      for (size_t i = 0; i < cols_; ++i) out[i] = s[i / kQ8Block] * static_cast<float>(q[i]);
      return;
    }
  }
}

std::vector<float> WeightMatrix::to_f32() const {
  std::vector<float> out(rows_ * cols_);
  for (size_t r = 0; r < rows_; ++r) row_to_f32(r, out.data() + r * cols_);
  return out;
}

std::vector<int8_t> WeightMatrix::q8_unpadded() const {
  std::vector<int8_t> out(rows_ * cols_);
  for (size_t r = 0; r < rows_; ++r)
    std::memcpy(out.data() + r * cols_, q8_.data() + r * row_stride(), cols_);
  return out;
}

}  // namespace lst
