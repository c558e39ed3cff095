#include "kernels/weight_matrix.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "kernels/simd.h"

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

namespace {

// One block by the rule, element by element: the scalar twin.
float quantize_block_scalar(const float* src, size_t n, int8_t* dst) {
  float amax = 0.0f;
  for (size_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(src[i]));
  const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
  for (size_t i = 0; i < n; ++i)
    dst[i] = static_cast<int8_t>(std::max(-127.0f, std::min(127.0f, std::round(src[i] * inv))));
  for (size_t i = n; i < kQ8Block; ++i) dst[i] = 0;
  return amax;
}

// A whole block of 32 with SIMD, the same bits as the scalar twin: each
// step is the twin's (max, the one multiply, round half away from zero as
// t = trunc(v), t + sign(v) where |v - t| >= 0.5, which is exact, then the
// clamps in the twin's operand order, so NaN goes to 127 as there).
// Activations are quantised once per matrix product (a decode step: 29k
// values), where the scalar loop's roundf calls cost ~12% of the step in wasm.
#if LST_SIMD_WASM
float quantize_block32(const float* src, int8_t* dst) {
  v128_t m = wasm_f32x4_splat(0.0f);
  for (int i = 0; i < 8; ++i) m = wasm_f32x4_pmax(m, wasm_f32x4_abs(wasm_v128_load(src + 4 * i)));
  float lanes[4];
  wasm_v128_store(lanes, m);
  float amax = 0.0f;
  for (int l = 0; l < 4; ++l) amax = std::max(amax, lanes[l]);
  const v128_t inv = wasm_f32x4_splat(amax > 0.0f ? 127.0f / amax : 0.0f);
  const v128_t half = wasm_f32x4_splat(0.5f), one = wasm_f32x4_splat(1.0f);
  const v128_t sign = wasm_i32x4_splat(static_cast<int32_t>(0x80000000u));
  const v128_t hi = wasm_f32x4_splat(127.0f), lo = wasm_f32x4_splat(-127.0f);
  v128_t q32[8];
  for (int i = 0; i < 8; ++i) {
    const v128_t v = wasm_f32x4_mul(wasm_v128_load(src + 4 * i), inv);
    const v128_t t = wasm_f32x4_trunc(v);
    const v128_t up = wasm_f32x4_ge(wasm_f32x4_abs(wasm_f32x4_sub(v, t)), half);
    const v128_t step = wasm_v128_and(up, wasm_v128_or(wasm_v128_and(v, sign), one));
    v128_t r = wasm_f32x4_add(t, step);
    r = wasm_f32x4_pmax(lo, wasm_f32x4_pmin(hi, r));
    q32[i] = wasm_i32x4_trunc_sat_f32x4(r);
  }
  for (int i = 0; i < 2; ++i) {
    const v128_t a = wasm_i16x8_narrow_i32x4(q32[4 * i], q32[4 * i + 1]);
    const v128_t b = wasm_i16x8_narrow_i32x4(q32[4 * i + 2], q32[4 * i + 3]);
    wasm_v128_store(dst + 16 * i, wasm_i8x16_narrow_i16x8(a, b));
  }
  return amax;
}
#define LST_HAVE_QUANTIZE_BLOCK32 1
#elif LST_SIMD_AVX2
float quantize_block32(const float* src, int8_t* dst) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 m = _mm256_setzero_ps();
  for (int i = 0; i < 4; ++i) m = _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(src + 8 * i)), m);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, m);
  float amax = 0.0f;
  for (int l = 0; l < 8; ++l) amax = std::max(amax, lanes[l]);
  const __m256 inv = _mm256_set1_ps(amax > 0.0f ? 127.0f / amax : 0.0f);
  const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
  const __m256 hi = _mm256_set1_ps(127.0f), lo = _mm256_set1_ps(-127.0f);
  __m256i q32[4];
  for (int i = 0; i < 4; ++i) {
    const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(src + 8 * i), inv);
    const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 up = _mm256_cmp_ps(_mm256_andnot_ps(sign, _mm256_sub_ps(v, t)), half, _CMP_GE_OQ);
    const __m256 step = _mm256_and_ps(up, _mm256_or_ps(_mm256_and_ps(v, sign), one));
    __m256 r = _mm256_add_ps(t, step);
    // std::min(127, r) = r < 127 ? r : 127; std::max(-127, y) = -127 < y ? y : -127
    r = _mm256_max_ps(_mm256_min_ps(r, hi), lo);
    q32[i] = _mm256_cvttps_epi32(r);
  }
  // packs interleave 128-bit lanes; the permute puts the 32 bytes in order
  const __m256i p01 = _mm256_packs_epi32(q32[0], q32[1]), p23 = _mm256_packs_epi32(q32[2], q32[3]);
  const __m256i b = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(p01, p23),
                                                _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), b);
  return amax;
}
#define LST_HAVE_QUANTIZE_BLOCK32 1
#endif

}  // namespace

void quantize_q8_rows(const float* x, size_t rows, size_t cols, int8_t* q, float* scales) {
  const size_t nb = (cols + kQ8Block - 1) / kQ8Block, stride = nb * kQ8Block;
  for (size_t r = 0; r < rows; ++r)
    for (size_t b = 0; b < nb; ++b) {
      const float* src = x + r * cols + b * kQ8Block;
      const size_t n = std::min(kQ8Block, cols - b * kQ8Block);
      int8_t* dst = q + r * stride + b * kQ8Block;
#if LST_HAVE_QUANTIZE_BLOCK32
      const float amax = n == kQ8Block ? quantize_block32(src, dst) : quantize_block_scalar(src, n, dst);
#else
      const float amax = quantize_block_scalar(src, n, dst);
#endif
      scales[r * nb + b] = amax / 127.0f;
    }
}

void quantize_q8_rows_scalar(const float* x, size_t rows, size_t cols, int8_t* q, float* scales) {
  const size_t nb = (cols + kQ8Block - 1) / kQ8Block, stride = nb * kQ8Block;
  for (size_t r = 0; r < rows; ++r)
    for (size_t b = 0; b < nb; ++b) {
      const size_t n = std::min(kQ8Block, cols - b * kQ8Block);
      const float amax = quantize_block_scalar(x + r * cols + b * kQ8Block, n, q + r * stride + b * kQ8Block);
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
