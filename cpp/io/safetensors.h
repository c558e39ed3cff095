// safetensors reader and writer. The reader is bounds-checked against hostile
// files: every fault (bad header length, bad JSON, offsets outside the data,
// overlapping tensors, unknown dtype, shape/size mismatch) throws lst::Error
// naming the problem; it never reads out of bounds.
#pragma once
#include "io/file_bytes.h"
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lst {

enum class DType { kF64, kF32, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool };
const char* dtype_name(DType d);
size_t dtype_size(DType d);

struct TensorView {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // points into the parsed buffer
  size_t nbytes = 0;
  int64_t numel() const;
  std::string shape_str() const;  // "[2, 3]"
};

class SafeTensors {
 public:
  // Parses a file held in memory. No copy: `bytes` must outlive this object.
  static SafeTensors parse(const uint8_t* bytes, size_t size);

  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  bool has(const std::string& name) const;
  // Throws "missing tensor 'name'".
  const TensorView& get(const std::string& name) const;
  std::vector<std::string> names() const;  // in file order of offsets

  // Converting readers; each checks the dtype family and throws naming the
  // tensor and its dtype when it cannot convert.
  std::vector<float> to_f32(const std::string& name) const;     // F32, F16, BF16, F64
  std::vector<int64_t> to_i64(const std::string& name) const;   // I64, I32, I16, I8, U8
  std::vector<uint8_t> to_bool(const std::string& name) const;  // BOOL, U8, integer (!= 0)

 private:
  std::map<std::string, TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

class SafeTensorsWriter {
 public:
  void set_metadata(const std::string& key, const std::string& value);
  void add_f32(const std::string& name, std::vector<int64_t> shape, const float* data);
  void add_f16(const std::string& name, std::vector<int64_t> shape, const float* data);  // rounds
  void add_i64(const std::string& name, std::vector<int64_t> shape, const int64_t* data);
  void add_bool(const std::string& name, std::vector<int64_t> shape, const uint8_t* data);
  void add_bf16(const std::string& name, std::vector<int64_t> shape, const float* data);  // rounds
  // Any dtype: copies numel * dtype_size(dtype) bytes of little-endian data.
  void add_raw(const std::string& name, DType dtype, std::vector<int64_t> shape, const void* data);
  std::vector<uint8_t> serialize() const;
  void write_file(const std::string& path) const;

 private:
  struct Entry {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
  };
  std::vector<Entry> entries_;
  std::map<std::string, std::string> metadata_;
};


// IEEE half / bfloat16 <-> float. Float -> 16-bit rounds to nearest even,
// overflows to inf, keeps NaN a NaN (payload's top bits, quiet bit if empty).
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);
float bf16_to_f32(uint16_t h);
uint16_t f32_to_bf16(float f);

// "F32" -> DType::kF32 etc.; false for an unknown name.
bool dtype_from_name(const std::string& s, DType* out);

}  // namespace lst
