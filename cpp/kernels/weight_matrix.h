// A weight matrix in its storage format, kept that way in memory and read by
// the kernels directly (gemm_quant.h): f32, f16 (IEEE half), or q8_0 (int8
// with one f32 scale per block of 32 weights along K, after ggml's q8_0).
//
// Layout: (rows, cols) row-major = PyTorch's Linear (out, in), K = cols.
//   f32 / f16: rows x cols values.
//   q8:        rows x row_stride() int8, row_stride() = blocks() * 32; a
//              row's last block holds cols % 32 real weights (its scale is
//              computed over those only) and zeros after them, so kernels
//              always read whole blocks; scales: rows x blocks() f32.
//
// Why blocks of 32: a scale per 32 weights costs 4/32 = 0.125 bytes a weight
// (64 would halve that to 0.06) but bounds the rounding error by the largest
// of 32 weights instead of 64, and 32 int8 are one AVX2 register, two
// SIMD128 registers, one VNNI dot-product step: a block never straddles a
// vector. Why f32 scales (ggml uses f16): WebAssembly SIMD has no f16
// conversion, so f16 scales would cost a scalar conversion per block in the
// inner loop; f16 also loses tiny blocks to subnormals. The price is 6% more
// bytes than f16 scales (1.125 instead of 1.0625 bytes a weight).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lst {

enum class WeightFormat { kF32, kF16, kQ8 };

constexpr size_t kQ8Block = 32;

// "f32", "f16", "int8".
const char* weight_format_name(WeightFormat f);
// Parses "f32" | "f16" | "int8"; throws lst::Error naming the value otherwise.
WeightFormat parse_weight_format(const char* name);

// IEEE half -> float for finite halves (weights are checked on load), the
// way the SIMD kernels widen them: the bits moved into place, times 2^112.
// Rounding float -> half is the file writer's (io/safetensors.h f32_to_f16).
float half_to_float(uint16_t h);

// The q8 rule, for weights and (gemm_quant.h) activations alike: per block of
// 32 along a row, scale = max|x| / 127 (0 for an all-zero block) and
// q = round(x * 127 / max|x|) in [-127, 127]; the last block zero-padded.
//   x: (rows, cols); q: (rows, nb*32); scales: (rows, nb), nb = ceil(cols / 32).
void quantize_q8_rows(const float* x, size_t rows, size_t cols, int8_t* q, float* scales);
// The same, element by element (the scalar twin quantize_q8_rows's SIMD
// blocks are tested against, bit for bit).
void quantize_q8_rows_scalar(const float* x, size_t rows, size_t cols, int8_t* q, float* scales);

class WeightMatrix {
 public:
  WeightMatrix() = default;
  // From f32 values, as f32 or quantised to q8 (scale = max|w| / 127 over
  // the block, q = round(w / scale)); f16 comes from_f16.
  static WeightMatrix from_f32(const float* w, size_t rows, size_t cols, WeightFormat format);
  // From stored halves / stored q8 (q: rows x cols int8, scales: rows x
  // ceil(cols/32)), as a file holds them. Scales must be finite and >= 0.
  static WeightMatrix from_f16(const uint16_t* h, size_t rows, size_t cols);
  static WeightMatrix from_q8(const int8_t* q, const float* scales, size_t rows, size_t cols);
  // Rows of a then rows of b (same cols and format): the fused [to_q; to_kv].
  static WeightMatrix concat_rows(const WeightMatrix& a, const WeightMatrix& b);
  // Rows [r0, r1) (splits the fused matrix again for saving).
  WeightMatrix slice_rows(size_t r0, size_t r1) const;

  WeightFormat format() const { return format_; }
  size_t rows() const { return rows_; }
  size_t cols() const { return cols_; }
  size_t blocks() const { return (cols_ + kQ8Block - 1) / kQ8Block; }
  size_t row_stride() const { return format_ == WeightFormat::kQ8 ? blocks() * kQ8Block : cols_; }
  size_t bytes() const;  // memory held

  const float* f32() const { return f32_.data(); }
  const uint16_t* f16() const { return f16_.data(); }
  const int8_t* q8() const { return q8_.data(); }        // rows x row_stride()
  const float* scales() const { return scales_.data(); }  // rows x blocks()

  // Row r as floats (cols values): the embedding lookup and to_f32.
  void row_to_f32(size_t r, float* out) const;
  std::vector<float> to_f32() const;
  // q8 values without the row padding (rows x cols), as a file stores them.
  std::vector<int8_t> q8_unpadded() const;

 private:
  WeightFormat format_ = WeightFormat::kF32;
  size_t rows_ = 0, cols_ = 0;
  std::vector<float> f32_;
  std::vector<uint16_t> f16_;
  std::vector<int8_t> q8_;
  std::vector<float> scales_;
};

}  // namespace lst
