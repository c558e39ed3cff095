// safetensors reader and writer (format: u64 LE header length N, N bytes of
// JSON, then the data section). The reader treats the file as hostile: every
// length, offset and shape is checked with overflow-safe arithmetic before a
// byte of tensor data is touched, and every fault throws lst::Error naming the
// problem and the tensor. Tensor data may be unaligned, so it is read with
// memcpy only.
#include "io/safetensors.h"


#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/json_limits.h"

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors.cpp reads little-endian data with memcpy: big-endian hosts unsupported");
#endif

namespace lst {

namespace {

using json = nlohmann::json;

// The reference implementation's limit on the header (100 MB).
constexpr uint64_t kMaxHeaderBytes = 100000000;

constexpr DType kAllDTypes[] = {DType::kF64, DType::kF32, DType::kF16, DType::kBF16, DType::kI64,
                                DType::kI32, DType::kI16, DType::kI8,  DType::kU8,   DType::kBool};

// A tensor or metadata name for an error message: quoted, cut when long.
std::string quoted(const std::string& s) {
  constexpr size_t kMax = 120;
  if (s.size() <= kMax) return "'" + s + "'";
  return "'" + s.substr(0, kMax) + "...' (" + std::to_string(s.size()) + " chars)";
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << ']';
  return os.str();
}

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <typename T>
void store(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

// Checked a * b for non-negative values; false on overflow past `limit`.
bool mul_within(uint64_t a, uint64_t b, uint64_t limit, uint64_t* out) {
  if (a != 0 && b > limit / a) return false;
  *out = a * b;
  return *out <= limit;
}

// numel of a shape with every dim >= 0, or -1 when the product exceeds int64.
int64_t checked_numel(const std::vector<int64_t>& shape) {
  for (int64_t d : shape)
    if (d == 0) return 0;
  uint64_t n = 1;
  for (int64_t d : shape)
    if (!mul_within(n, static_cast<uint64_t>(d), std::numeric_limits<int64_t>::max(), &n)) return -1;
  return static_cast<int64_t>(n);
}

// A non-negative JSON integer that fits in int64 (false for anything else:
// negative, fractional, 1e3, > 2^63 - 1, strings...).
bool as_index(const json& v, uint64_t* out) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    *out = u;
    return true;
  }
  if (v.is_number_integer()) {
    int64_t i = v.get<int64_t>();
    if (i < 0) return false;
    *out = static_cast<uint64_t>(i);
    return true;
  }
  return false;
}

// Rejects duplicate keys in any JSON object (nlohmann's DOM keeps the last
// one silently). A SAX pass with a stack of key sets, one per open object.
class DuplicateKeyCheck : public nlohmann::json_sax<json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    keys_.emplace_back();
    return true;
  }
  bool key(string_t& k) override {
    if (!keys_.empty() && !keys_.back().insert(k).second) {
      duplicate_ = k;
      depth_ = keys_.size();
      return false;  // stop parsing
    }
    return true;
  }
  bool end_object() override {
    if (!keys_.empty()) keys_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

  bool found() const { return depth_ != 0; }
  const std::string& duplicate() const { return duplicate_; }
  size_t depth() const { return depth_; }

 private:
  std::vector<std::set<std::string>> keys_;
  std::string duplicate_;
  size_t depth_ = 0;
};

struct Span {
  uint64_t begin, end;
  const std::string* name;
};

void check_shape_dims(const std::string& name, const json& entry, std::vector<int64_t>* shape) {
  auto it = entry.find("shape");
  LST_CHECK(it != entry.end(), "safetensors: tensor ", quoted(name), " has no \"shape\"");
  LST_CHECK(it->is_array(), "safetensors: tensor ", quoted(name),
            " shape is not a list of integers (got ", it->type_name(), ")");
  shape->clear();
  shape->reserve(it->size());
  size_t i = 0;
  for (const json& d : *it) {
    LST_CHECK(d.is_number_integer(), "safetensors: tensor ", quoted(name), " shape[", i,
              "] is not an integer (got ", d.type_name(), ")");
    if (d.is_number_unsigned()) {
      LST_CHECK(d.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()),
                "safetensors: tensor ", quoted(name), " shape[", i, "] = ", d.get<uint64_t>(),
                " is a huge dimension (> 2^63 - 1)");
    } else {
      LST_CHECK(d.get<int64_t>() >= 0, "safetensors: tensor ", quoted(name), " shape[", i,
                "] = ", d.get<int64_t>(), " is a negative dimension");
    }
    shape->push_back(d.get<int64_t>());
    ++i;
  }
}

}  // namespace

// ---------------------------------------------------------------- dtypes

const char* dtype_name(DType d) {
  switch (d) {
    case DType::kF64: return "F64";
    case DType::kF32: return "F32";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    case DType::kI64: return "I64";
    case DType::kI32: return "I32";
    case DType::kI16: return "I16";
    case DType::kI8: return "I8";
    case DType::kU8: return "U8";
    case DType::kBool: return "BOOL";
  }
  return "?";
}

size_t dtype_size(DType d) {
  switch (d) {
    case DType::kF64:
    case DType::kI64: return 8;
    case DType::kF32:
    case DType::kI32: return 4;
    case DType::kF16:
    case DType::kBF16:
    case DType::kI16: return 2;
    case DType::kI8:
    case DType::kU8:
    case DType::kBool: return 1;
  }
  return 0;
}

bool dtype_from_name(const std::string& s, DType* out) {
  for (DType d : kAllDTypes) {
    if (s == dtype_name(d)) {
      *out = d;
      return true;
    }
  }
  return false;
}

int64_t TensorView::numel() const {
  // A zero dim first: the parser accepts [2^62, 2^62, 0] (0 elements), whose
  // running product would overflow. Otherwise the parser checked the product.
  for (int64_t d : shape)
    if (d == 0) return 0;
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string TensorView::shape_str() const { return shape_string(shape); }

// ---------------------------------------------------------------- half / bfloat16

float f16_to_f32(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t man = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;  // +-0
    } else {       // subnormal: man * 2^-24, renormalised
      uint32_t e = 113;  // 127 - 15 + 1
      while (!(man & 0x400u)) {
        man <<= 1;
        --e;
      }
      bits = sign | (e << 23) | ((man & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (man << 13);  // inf, or NaN keeping its payload
  } else {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t f32_to_f16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  uint32_t exp = (x >> 23) & 0xffu;
  uint32_t man = x & 0x7fffffu;
  if (exp == 255) {
    if (man == 0) return sign | 0x7c00u;  // inf
    uint16_t payload = static_cast<uint16_t>(man >> 13);
    return sign | 0x7c00u | (payload ? payload : 0x200u);  // NaN stays NaN
  }
  int e = static_cast<int>(exp) - 127;
  if (e > 15) return sign | 0x7c00u;  // overflow
  if (e >= -14) {                     // normal half (rounding may carry to inf)
    uint32_t h = (static_cast<uint32_t>(e + 15) << 10) | (man >> 13);
    uint32_t rem = man & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  if (e >= -25) {  // subnormal half: value = m * 2^(e-23), unit 2^-24
    uint32_t m = man | 0x800000u;
    int shift = -e - 1;  // 14..24
    uint32_t h = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1u);
    uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  return sign;  // underflow to +-0 (includes float subnormals)
}

float bf16_to_f32(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t f32_to_bf16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // NaN
  x += 0x7fffu + ((x >> 16) & 1u);  // round to nearest even; carries into inf
  return static_cast<uint16_t>(x >> 16);
}

// ---------------------------------------------------------------- reader

SafeTensors SafeTensors::parse(const uint8_t* bytes, size_t size) {
  LST_CHECK(size != 0, "safetensors: empty file (0 bytes)");
  LST_CHECK(bytes != nullptr, "safetensors: null buffer of ", size, " bytes");
  LST_CHECK(size >= 8, "safetensors: file is ", size,
            " bytes, shorter than the 8-byte header length");
  const uint64_t header_len = load<uint64_t>(bytes);
  const uint64_t after_prefix = static_cast<uint64_t>(size) - 8;
  LST_CHECK(header_len <= kMaxHeaderBytes, "safetensors: header length ", header_len,
            " is absurd (limit ", kMaxHeaderBytes, " bytes)");
  LST_CHECK(header_len <= after_prefix, "safetensors: header length ", header_len,
            " is beyond the end of the file (", after_prefix, " bytes follow the length)");
  const char* hbegin = reinterpret_cast<const char*>(bytes + 8);
  const char* hend = hbegin + header_len;
  const uint8_t* data = bytes + 8 + header_len;
  const uint64_t data_size = after_prefix - header_len;

  // A safetensors header is { name: { dtype, shape: [...], data_offsets: [...] } }: three levels.
  check_json_nesting(std::string(hbegin, hend), 3, "safetensors header");
  json header;
  try {
    header = json::parse(hbegin, hend);
  } catch (const json::exception& e) {
    LST_FAIL("safetensors: invalid header JSON: ", e.what());
  }
  LST_CHECK(header.is_object(), "safetensors: header JSON is not an object (got ",
            header.type_name(), ")");
  {
    DuplicateKeyCheck dup;
    json::sax_parse(hbegin, hend, &dup);
    LST_CHECK(!dup.found(), "safetensors: duplicate key ", quoted(dup.duplicate()),
              dup.depth() == 1 ? " (a tensor name) in the header" : " in the header JSON");
  }

  SafeTensors st;
  std::vector<Span> spans;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const json& entry = it.value();
    if (name == "__metadata__") {
      LST_CHECK(entry.is_object(), "safetensors: __metadata__ is not an object (got ",
                entry.type_name(), ")");
      for (auto m = entry.begin(); m != entry.end(); ++m) {
        LST_CHECK(m.value().is_string(), "safetensors: __metadata__ value for key ",
                  quoted(m.key()), " is not a string (got ", m.value().type_name(), ")");
        st.metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    LST_CHECK(entry.is_object(), "safetensors: tensor ", quoted(name),
              " entry is not an object (got ", entry.type_name(), ")");

    TensorView t;
    t.name = name;

    auto dt = entry.find("dtype");
    LST_CHECK(dt != entry.end(), "safetensors: tensor ", quoted(name), " has no \"dtype\"");
    LST_CHECK(dt->is_string(), "safetensors: tensor ", quoted(name),
              " dtype is not a string (got ", dt->type_name(), ")");
    LST_CHECK(dtype_from_name(dt->get_ref<const std::string&>(), &t.dtype), "safetensors: tensor ",
              quoted(name), " has unknown dtype ", quoted(dt->get_ref<const std::string&>()),
              " (known: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)");

    check_shape_dims(name, entry, &t.shape);
    const int64_t numel = checked_numel(t.shape);
    LST_CHECK(numel >= 0, "safetensors: tensor ", quoted(name), " shape ", shape_string(t.shape),
              " overflows: its element count exceeds 2^63 - 1");

    auto off = entry.find("data_offsets");
    LST_CHECK(off != entry.end(), "safetensors: tensor ", quoted(name),
              " has no \"data_offsets\"");
    LST_CHECK(off->is_array(), "safetensors: tensor ", quoted(name),
              " data_offsets is not a list [begin, end] (got ", off->type_name(), ")");
    LST_CHECK(off->size() == 2, "safetensors: tensor ", quoted(name),
              " data_offsets must be [begin, end], got ", off->size(), " values");
    uint64_t begin = 0, end = 0;
    LST_CHECK(as_index((*off)[0], &begin) && as_index((*off)[1], &end), "safetensors: tensor ",
              quoted(name), " data_offsets are not non-negative integers");
    LST_CHECK(begin <= end, "safetensors: tensor ", quoted(name), " data_offsets [", begin, ", ",
              end, "] have begin > end");
    LST_CHECK(end <= data_size, "safetensors: tensor ", quoted(name), " data_offsets [", begin,
              ", ", end, "] end beyond the data section (", data_size, " bytes)");
    uint64_t need = 0;
    const bool fits = mul_within(static_cast<uint64_t>(numel), dtype_size(t.dtype),
                                 std::numeric_limits<uint64_t>::max(), &need);
    LST_CHECK(fits && need == end - begin, "safetensors: tensor ", quoted(name),
              " size mismatch: data_offsets [", begin, ", ", end, "] hold ", end - begin,
              " bytes but shape ", shape_string(t.shape), " of ", dtype_name(t.dtype), " needs ",
              fits ? std::to_string(need) : std::string("more than 2^64"), " bytes");

    t.data = data + begin;  // begin <= end <= data_size: in bounds
    t.nbytes = static_cast<size_t>(end - begin);
    auto ins = st.tensors_.emplace(name, std::move(t));
    if (end > begin) spans.push_back({begin, end, &ins.first->first});
  }

  // Overlap: sort the non-empty spans by begin; each must start at or after
  // the furthest end seen so far.
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.begin != b.begin ? a.begin < b.begin : *a.name < *b.name;
  });
  for (size_t i = 1, far = 0; i < spans.size(); ++i) {
    const Span& p = spans[far];
    const Span& s = spans[i];
    LST_CHECK(s.begin >= p.end, "safetensors: tensors ", quoted(*p.name), " data_offsets [",
              p.begin, ", ", p.end, "] and ", quoted(*s.name), " [", s.begin, ", ", s.end,
              "] overlap");
    if (s.end > spans[far].end) far = i;
  }
  return st;
}

bool SafeTensors::has(const std::string& name) const { return tensors_.count(name) != 0; }

const TensorView& SafeTensors::get(const std::string& name) const {
  auto it = tensors_.find(name);
  LST_CHECK(it != tensors_.end(), "safetensors: missing tensor ", quoted(name));
  return it->second;
}

std::vector<std::string> SafeTensors::names() const {
  std::vector<const TensorView*> v;
  v.reserve(tensors_.size());
  for (const auto& kv : tensors_) v.push_back(&kv.second);
  // File order; ties (empty tensors share an offset) by name. A total order
  // for std::sort: std::stable_sort's temporary buffer trips ASan's
  // new/free mismatch check with GCC 12's libstdc++ (scripts/test-sanitize.sh).
  std::sort(v.begin(), v.end(), [](const TensorView* a, const TensorView* b) {
    return a->data != b->data ? a->data < b->data : a->name < b->name;
  });
  std::vector<std::string> out;
  out.reserve(v.size());
  for (const TensorView* t : v) out.push_back(t->name);
  return out;
}

std::vector<float> SafeTensors::to_f32(const std::string& name) const {
  const TensorView& t = get(name);
  const size_t n = static_cast<size_t>(t.numel());
  std::vector<float> out(n);
  const uint8_t* p = t.data;
  switch (t.dtype) {
    case DType::kF32:
      if (n) std::memcpy(out.data(), p, n * 4);
      break;
    case DType::kF16:
      for (size_t i = 0; i < n; ++i) out[i] = f16_to_f32(load<uint16_t>(p + 2 * i));
      break;
    case DType::kBF16:
      for (size_t i = 0; i < n; ++i) out[i] = bf16_to_f32(load<uint16_t>(p + 2 * i));
      break;
    case DType::kF64:
      for (size_t i = 0; i < n; ++i) {
        double d = load<double>(p + 8 * i);
        // Out of float range (the midpoint past FLT_MAX rounds up): +-inf, without
        // relying on the implementation-defined overflowing cast.
        if (std::isfinite(d) && std::fabs(d) >= 0x1.ffffffp127)
          out[i] = std::signbit(d) ? -std::numeric_limits<float>::infinity()
                                   : std::numeric_limits<float>::infinity();
        else
          out[i] = static_cast<float>(d);
      }
      break;
    default:
      LST_FAIL("safetensors: tensor ", quoted(name), " has dtype ", dtype_name(t.dtype),
               "; to_f32 reads F32, F16, BF16 or F64");
  }
  return out;
}

std::vector<int64_t> SafeTensors::to_i64(const std::string& name) const {
  const TensorView& t = get(name);
  const size_t n = static_cast<size_t>(t.numel());
  std::vector<int64_t> out(n);
  const uint8_t* p = t.data;
  switch (t.dtype) {
    case DType::kI64:
      if (n) std::memcpy(out.data(), p, n * 8);
      break;
    case DType::kI32:
      for (size_t i = 0; i < n; ++i) out[i] = load<int32_t>(p + 4 * i);
      break;
    case DType::kI16:
      for (size_t i = 0; i < n; ++i) out[i] = load<int16_t>(p + 2 * i);
      break;
    case DType::kI8:
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<int8_t>(p[i]);
      break;
    case DType::kU8:
      for (size_t i = 0; i < n; ++i) out[i] = p[i];
      break;
    default:
      LST_FAIL("safetensors: tensor ", quoted(name), " has dtype ", dtype_name(t.dtype),
               "; to_i64 reads I64, I32, I16, I8 or U8");
  }
  return out;
}

std::vector<uint8_t> SafeTensors::to_bool(const std::string& name) const {
  const TensorView& t = get(name);
  const size_t n = static_cast<size_t>(t.numel());
  std::vector<uint8_t> out(n);
  const uint8_t* p = t.data;
  switch (t.dtype) {
    case DType::kBool:
    case DType::kU8:
    case DType::kI8:
      for (size_t i = 0; i < n; ++i) out[i] = p[i] != 0;
      break;
    case DType::kI16:
      for (size_t i = 0; i < n; ++i) out[i] = load<int16_t>(p + 2 * i) != 0;
      break;
    case DType::kI32:
      for (size_t i = 0; i < n; ++i) out[i] = load<int32_t>(p + 4 * i) != 0;
      break;
    case DType::kI64:
      for (size_t i = 0; i < n; ++i) out[i] = load<int64_t>(p + 8 * i) != 0;
      break;
    default:
      LST_FAIL("safetensors: tensor ", quoted(name), " has dtype ", dtype_name(t.dtype),
               "; to_bool reads BOOL, U8 or an integer dtype");
  }
  return out;
}

// ---------------------------------------------------------------- writer

void SafeTensorsWriter::set_metadata(const std::string& key, const std::string& value) {
  metadata_[key] = value;
}

void SafeTensorsWriter::add_raw(const std::string& name, DType dtype, std::vector<int64_t> shape,
                                const void* data) {
  LST_CHECK(name != "__metadata__", "safetensors writer: '__metadata__' is reserved, not a tensor name");
  for (const Entry& e : entries_)
    LST_CHECK(e.name != name, "safetensors writer: duplicate tensor ", quoted(name));
  for (int64_t d : shape)
    LST_CHECK(d >= 0, "safetensors writer: tensor ", quoted(name), " shape ", shape_string(shape),
              " has a negative dimension");
  const int64_t numel = checked_numel(shape);
  uint64_t nbytes = 0;
  LST_CHECK(numel >= 0 && mul_within(static_cast<uint64_t>(numel), dtype_size(dtype),
                                     std::numeric_limits<size_t>::max(), &nbytes),
            "safetensors writer: tensor ", quoted(name), " shape ", shape_string(shape),
            " is too large");
  LST_CHECK(nbytes == 0 || data != nullptr, "safetensors writer: tensor ", quoted(name),
            " has null data");
  Entry e;
  e.name = name;
  e.dtype = dtype;
  e.shape = std::move(shape);
  e.bytes.resize(static_cast<size_t>(nbytes));
  if (nbytes) std::memcpy(e.bytes.data(), data, static_cast<size_t>(nbytes));
  entries_.push_back(std::move(e));
}

void SafeTensorsWriter::add_f32(const std::string& name, std::vector<int64_t> shape,
                                const float* data) {
  add_raw(name, DType::kF32, std::move(shape), data);
}

void SafeTensorsWriter::add_i64(const std::string& name, std::vector<int64_t> shape,
                                const int64_t* data) {
  add_raw(name, DType::kI64, std::move(shape), data);
}

void SafeTensorsWriter::add_bool(const std::string& name, std::vector<int64_t> shape,
                                 const uint8_t* data) {
  // Normalise to 0/1: a BOOL byte other than 0 or 1 is not a valid bool.
  const int64_t numel = checked_numel(shape);
  LST_CHECK(numel >= 0, "safetensors writer: tensor ", quoted(name), " shape ",
            shape_string(shape), " is too large or negative");
  LST_CHECK(numel == 0 || data != nullptr, "safetensors writer: tensor ", quoted(name),
            " has null data");
  std::vector<uint8_t> b(static_cast<size_t>(numel));
  for (size_t i = 0; i < b.size(); ++i) b[i] = data[i] != 0;
  add_raw(name, DType::kBool, std::move(shape), b.data());
}

void SafeTensorsWriter::add_f16(const std::string& name, std::vector<int64_t> shape,
                                const float* data) {
  const int64_t numel = checked_numel(shape);
  LST_CHECK(numel >= 0, "safetensors writer: tensor ", quoted(name), " shape ",
            shape_string(shape), " is too large or negative");
  LST_CHECK(numel == 0 || data != nullptr, "safetensors writer: tensor ", quoted(name),
            " has null data");
  std::vector<uint16_t> h(static_cast<size_t>(numel));
  for (size_t i = 0; i < h.size(); ++i) h[i] = f32_to_f16(data[i]);
  add_raw(name, DType::kF16, std::move(shape), h.data());
}

void SafeTensorsWriter::add_bf16(const std::string& name, std::vector<int64_t> shape,
                                 const float* data) {
  const int64_t numel = checked_numel(shape);
  LST_CHECK(numel >= 0, "safetensors writer: tensor ", quoted(name), " shape ",
            shape_string(shape), " is too large or negative");
  LST_CHECK(numel == 0 || data != nullptr, "safetensors writer: tensor ", quoted(name),
            " has null data");
  std::vector<uint16_t> h(static_cast<size_t>(numel));
  for (size_t i = 0; i < h.size(); ++i) h[i] = f32_to_bf16(data[i]);
  add_raw(name, DType::kBF16, std::move(shape), h.data());
}

std::vector<uint8_t> SafeTensorsWriter::serialize() const {
  // ordered_json keeps insertion order: __metadata__ first, then the tensors
  // in the order they were added, laid out contiguously.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata_.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& kv : metadata_) meta[kv.first] = kv.second;
    header["__metadata__"] = std::move(meta);
  }
  uint64_t offset = 0;
  for (const Entry& e : entries_) {
    nlohmann::ordered_json t = nlohmann::ordered_json::object();
    t["dtype"] = dtype_name(e.dtype);
    t["shape"] = e.shape;
    t["data_offsets"] = {offset, offset + e.bytes.size()};
    header[e.name] = std::move(t);
    offset += e.bytes.size();
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::ordered_json::exception& ex) {
    LST_FAIL("safetensors writer: cannot encode the header (names and metadata must be UTF-8): ",
             ex.what());
  }
  // Like the reference implementation: pad the header with spaces so that the
  // data section starts at a multiple of 8.
  text.append((8 - text.size() % 8) % 8, ' ');

  std::vector<uint8_t> out;
  out.reserve(8 + text.size() + static_cast<size_t>(offset));
  out.resize(8);
  store<uint64_t>(out.data(), text.size());
  out.insert(out.end(), text.begin(), text.end());
  for (const Entry& e : entries_) out.insert(out.end(), e.bytes.begin(), e.bytes.end());
  return out;
}

void SafeTensorsWriter::write_file(const std::string& path) const {
  std::vector<uint8_t> bytes = serialize();
  write_file_bytes(path, bytes.data(), bytes.size());
}

}  // namespace lst
