// safetensors reader/writer: the golden fixtures, writer -> parser round
// trips for every dtype, exhaustive F16/BF16 conversion checks against an
// independent reference, and malformed files that must throw a named error.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/safetensors.h"

using lst::DType;
using lst::SafeTensors;
using lst::SafeTensorsWriter;
using Catch::Contains;

namespace {

std::string fixture(const std::string& name) { return std::string(LST_FIXTURES_DIR) + "/" + name; }

// A raw file: u64 LE header length, the header text as given, `data` bytes.
std::vector<uint8_t> make_file(const std::string& header, size_t data_bytes = 0,
                               uint8_t fill = 0) {
  std::vector<uint8_t> f(8 + header.size() + data_bytes, fill);
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) f[i] = static_cast<uint8_t>(n >> (8 * i));
  for (size_t i = 0; i < header.size(); ++i) f[8 + i] = static_cast<uint8_t>(header[i]);
  return f;
}

std::vector<uint8_t> with_length(uint64_t n, size_t total) {
  std::vector<uint8_t> f(total, ' ');
  for (int i = 0; i < 8; ++i) f[i] = static_cast<uint8_t>(n >> (8 * i));
  return f;
}

SafeTensors parse(const std::vector<uint8_t>& f) { return SafeTensors::parse(f.data(), f.size()); }

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

float float_of(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Independent decoders: value = mantissa * 2^exponent, computed in double.
double ref_f16_value(uint16_t h) {
  int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  double s = (h & 0x8000) ? -1.0 : 1.0;
  if (e == 0) return s * std::ldexp(m, -24);
  if (e == 31) return m ? std::numeric_limits<double>::quiet_NaN()
                        : s * std::numeric_limits<double>::infinity();
  return s * std::ldexp(1024 + m, e - 25);
}

// Nearest f16 to |f| by binary search over the ordered positive halves, ties
// to even; values at or past 65520 (the midpoint of 65504 and 2^16) -> inf.
uint16_t ref_f32_to_f16(float f) {
  const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  if (std::isnan(f)) return 0x7e00;
  double a = std::fabs(static_cast<double>(f));
  if (a >= 65520.0) return sign | 0x7c00;
  uint16_t lo = 0, hi = 0x7bff;  // largest h with value(h) <= a
  while (lo < hi) {
    uint16_t mid = static_cast<uint16_t>((lo + hi + 1) / 2);
    if (ref_f16_value(mid) <= a) lo = mid; else hi = static_cast<uint16_t>(mid - 1);
  }
  if (ref_f16_value(lo) == a) return sign | lo;
  double up = lo == 0x7bff ? 65536.0 : ref_f16_value(static_cast<uint16_t>(lo + 1));
  double d0 = a - ref_f16_value(lo), d1 = up - a;
  uint16_t r = (d0 < d1 || (d0 == d1 && (lo & 1) == 0)) ? lo : static_cast<uint16_t>(lo + 1);
  return sign | r;
}

uint16_t ref_f32_to_bf16(float f) {
  uint32_t x = bits_of(f);
  uint16_t lo = static_cast<uint16_t>(x >> 16);
  if ((x & 0xffff) == 0) return lo;
  double a = std::fabs(static_cast<double>(f));
  double vlo = std::fabs(static_cast<double>(float_of(static_cast<uint32_t>(lo) << 16)));
  double vhi = ((lo + 1) & 0x7f80) == 0x7f80 ? std::ldexp(1.0, 128)
                                              : std::fabs(static_cast<double>(
                                                    float_of(static_cast<uint32_t>(lo + 1) << 16)));
  double d0 = a - vlo, d1 = vhi - a;
  return (d0 < d1 || (d0 == d1 && (lo & 1) == 0)) ? lo : static_cast<uint16_t>(lo + 1);
}

bool is_f16_nan(uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0; }

struct Golden {
  const char* file;
  const char* kind;
  int vocab;
  size_t n_tensors;
  const char* tokens;
  std::vector<int64_t> tokens_shape;
  std::vector<int64_t> first_tokens;
  float first_emb;  // token_emb.weight[0, 0]
  bool has_mask;
};

}  // namespace

TEST_CASE("safetensors: every golden fixture parses", "[safetensors]") {
  const std::vector<Golden> goldens = {
      {"v1_nc_nomask", "forward", 96, 43, "input.tokens", {2, 32}, {29, 90, 66}, -0.6027625203132629f, false},
      {"v2_nc_mask_pad_b2", "forward", 80, 45, "input.tokens", {2, 27}, {35, 12, 43}, 0.06275675445795059f, true},
      {"v3_nc_mask_b2_h1", "forward", 64, 45, "input.tokens", {2, 19}, {35, 20, 4}, -0.5595841407775879f, true},
      {"v4_c_pad", "forward", 64, 44, "input.tokens", {2, 29}, {45, 53, 21}, -1.9451090097427368f, false},
      {"v5_c_mask", "forward", 72, 45, "input.tokens", {2, 21}, {20, 45, 71}, 0.7638901472091675f, true},
      {"v6_c_grad", "train_grad", 64, 83, "input.tokens", {2, 23}, {35, 62, 27}, 0.4557459056377411f, false},
      {"v7_c_gen", "generate", 64, 44, "input.prompt", {2, 7}, {6, 41, 58}, -0.9478110671043396f, false},
      {"v8_c_train_steps", "train_steps", 64, 84, "input.batches", {6, 2, 2, 21}, {31, 5, 6}, -0.014344769529998302f, false},
  };
  for (const Golden& g : goldens) {
    INFO(g.file);
    std::vector<uint8_t> bytes = lst::read_file_bytes(fixture(std::string(g.file) + ".safetensors"));
    SafeTensors st = SafeTensors::parse(bytes.data(), bytes.size());
    REQUIRE(st.metadata().at("kind") == g.kind);
    REQUIRE(st.metadata().count("config") == 1);
    std::vector<std::string> names = st.names();
    REQUIRE(names.size() == g.n_tensors);
    REQUIRE(names.front() == "token_emb.weight");  // offset 0 comes first

    const lst::TensorView& emb = st.get("token_emb.weight");
    REQUIRE(emb.dtype == DType::kF32);
    REQUIRE(emb.shape == std::vector<int64_t>{g.vocab, 32});
    REQUIRE(emb.shape_str() == "[" + std::to_string(g.vocab) + ", 32]");
    std::vector<float> w = st.to_f32("token_emb.weight");
    REQUIRE(w.size() == static_cast<size_t>(g.vocab) * 32);
    REQUIRE(w[0] == g.first_emb);

    const lst::TensorView& tok = st.get(g.tokens);
    REQUIRE(tok.dtype == DType::kI64);
    REQUIRE(tok.shape == g.tokens_shape);
    std::vector<int64_t> t = st.to_i64(g.tokens);
    REQUIRE(static_cast<int64_t>(t.size()) == tok.numel());
    for (size_t i = 0; i < g.first_tokens.size(); ++i) REQUIRE(t[i] == g.first_tokens[i]);
    for (int64_t v : t) REQUIRE((v >= 0 && v < g.vocab));

    REQUIRE(st.has("input.mask") == g.has_mask);
    if (g.has_mask) {
      REQUIRE(st.get("input.mask").dtype == DType::kBool);
      REQUIRE(st.get("input.mask").shape == tok.shape);
      std::vector<uint8_t> m = st.to_bool("input.mask");
      REQUIRE(m.size() == t.size());
    }
    // Every tensor converts through its family's reader; offsets are in
    // non-decreasing order along names().
    const uint8_t* prev = nullptr;
    for (const std::string& n : names) {
      const lst::TensorView& v = st.get(n);
      REQUIRE(v.nbytes == static_cast<size_t>(v.numel()) * lst::dtype_size(v.dtype));
      REQUIRE((prev == nullptr || v.data >= prev));
      prev = v.data;
      if (v.dtype == DType::kF32) {
        for (float x : st.to_f32(n)) REQUIRE(std::isfinite(x));
      } else if (v.dtype == DType::kI64) {
        REQUIRE(st.to_i64(n).size() == static_cast<size_t>(v.numel()));
      } else {
        REQUIRE(v.dtype == DType::kBool);
        REQUIRE(st.to_bool(n).size() == static_cast<size_t>(v.numel()));
      }
    }
  }
  // Spot values of specific outputs.
  std::vector<uint8_t> g6 = lst::read_file_bytes(fixture("v6_c_grad.safetensors"));
  SafeTensors st6 = SafeTensors::parse(g6.data(), g6.size());
  REQUIRE(st6.get("output.loss").shape == std::vector<int64_t>{1});
  REQUIRE(st6.to_f32("output.loss")[0] == 4.279551029205322f);
  std::vector<uint8_t> g7 = lst::read_file_bytes(fixture("v7_c_gen.safetensors"));
  SafeTensors st7 = SafeTensors::parse(g7.data(), g7.size());
  REQUIRE(st7.metadata().at("gen_len") == "110");
  REQUIRE(st7.get("output.generated").shape == std::vector<int64_t>{2, 110});
}

TEST_CASE("safetensors: writer -> parser round trip, every dtype", "[safetensors]") {
  SafeTensorsWriter w;
  w.set_metadata("kind", "roundtrip");
  w.set_metadata("note", "quotes \" and \\ and unicode \xc3\xa9");

  const std::vector<float> f32 = {1.5f, -2.25f, 0.0f, -0.0f, 3.0e38f, 1e-40f,
                                  std::numeric_limits<float>::infinity(), 65504.0f};
  const std::vector<double> f64 = {1.0 / 3.0, -1e300, 1e-300, 3.5, 1e39, -1e39};
  const std::vector<int64_t> i64 = {0, -1, std::numeric_limits<int64_t>::max(),
                                    std::numeric_limits<int64_t>::min(), 42, 7};
  const std::vector<int32_t> i32 = {0, -1, 2147483647, -2147483647 - 1};
  const std::vector<int16_t> i16 = {0, -1, 32767, -32768, 5, 0};
  const std::vector<int8_t> i8 = {0, -1, 127, -128};
  const std::vector<uint8_t> u8 = {0, 1, 255};
  const std::vector<uint8_t> bools = {1, 0, 7, 0, 1};

  w.add_f32("a.f32", {2, 4}, f32.data());
  w.add_f16("b.f16", {8}, f32.data());
  w.add_bf16("c.bf16", {4, 2}, f32.data());
  w.add_raw("d.f64", DType::kF64, {3, 2}, f64.data());
  w.add_i64("e.i64", {6}, i64.data());
  w.add_raw("f.i32", DType::kI32, {2, 2}, i32.data());
  w.add_raw("g.i16", DType::kI16, {6}, i16.data());
  w.add_raw("h.i8", DType::kI8, {4}, i8.data());
  w.add_raw("i.u8", DType::kU8, {3}, u8.data());
  w.add_bool("j.bool", {5}, bools.data());
  w.add_f32("k.scalar", {}, f32.data());
  w.add_f32("l.empty", {0, 3}, nullptr);
  w.add_raw("l2.pad", DType::kU8, {1}, u8.data() + 2);
  w.add_f32("m.after_odd_bytes", {3}, f32.data() + 1);  // data starts unaligned

  std::vector<uint8_t> file = w.serialize();
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(file[i]) << (8 * i);
  REQUIRE(n % 8 == 0);  // padded like the reference implementation
  const std::string header(file.begin() + 8, file.begin() + 8 + static_cast<ptrdiff_t>(n));
  REQUIRE(header.rfind("{\"__metadata__\":{", 0) == 0);
  REQUIRE(header.find("\"a.f32\":{\"dtype\":\"F32\",\"shape\":[2,4],\"data_offsets\":[0,32]}") !=
          std::string::npos);

  SafeTensors st = SafeTensors::parse(file.data(), file.size());
  REQUIRE(st.metadata().size() == 2);
  REQUIRE(st.metadata().at("kind") == "roundtrip");
  REQUIRE(st.metadata().at("note") == "quotes \" and \\ and unicode \xc3\xa9");
  const std::vector<std::string> order = {"a.f32", "b.f16",  "c.bf16",   "d.f64",  "e.i64",
                                          "f.i32", "g.i16",  "h.i8",     "i.u8",   "j.bool",
                                          "k.scalar", "l.empty", "l2.pad", "m.after_odd_bytes"};
  // Insertion order is file order (the empty tensor sorts by its offset).
  std::vector<std::string> names = st.names();
  REQUIRE(names.size() == order.size());
  for (const std::string& s : order) REQUIRE(st.has(s));
  REQUIRE(names.front() == "a.f32");
  REQUIRE(names.back() == "m.after_odd_bytes");

  REQUIRE(st.to_f32("a.f32") == f32);
  REQUIRE(st.get("a.f32").shape == std::vector<int64_t>{2, 4});
  REQUIRE(std::signbit(st.to_f32("a.f32")[3]));

  std::vector<float> h = st.to_f32("b.f16");
  REQUIRE(st.get("b.f16").dtype == DType::kF16);
  REQUIRE(st.get("b.f16").nbytes == 16);
  for (size_t i = 0; i < f32.size(); ++i)
    REQUIRE(bits_of(h[i]) == bits_of(lst::f16_to_f32(lst::f32_to_f16(f32[i]))));
  REQUIRE(h[0] == 1.5f);
  REQUIRE(std::isinf(h[4]));  // 3e38 overflows half
  REQUIRE(h[5] == 0.0f);      // 1e-40 underflows half
  REQUIRE(h[7] == 65504.0f);

  std::vector<float> b = st.to_f32("c.bf16");
  REQUIRE(st.get("c.bf16").dtype == DType::kBF16);
  for (size_t i = 0; i < f32.size(); ++i)
    REQUIRE(bits_of(b[i]) == bits_of(lst::bf16_to_f32(lst::f32_to_bf16(f32[i]))));
  REQUIRE(b[1] == -2.25f);

  std::vector<float> d = st.to_f32("d.f64");
  REQUIRE(d[0] == static_cast<float>(1.0 / 3.0));
  REQUIRE(d[1] == -std::numeric_limits<float>::infinity());
  REQUIRE(d[2] == 0.0f);
  REQUIRE(d[3] == 3.5f);
  REQUIRE(d[4] == std::numeric_limits<float>::infinity());
  REQUIRE(d[5] == -std::numeric_limits<float>::infinity());

  REQUIRE(st.to_i64("e.i64") == i64);
  REQUIRE(st.to_i64("f.i32") == std::vector<int64_t>(i32.begin(), i32.end()));
  REQUIRE(st.to_i64("g.i16") == std::vector<int64_t>(i16.begin(), i16.end()));
  REQUIRE(st.to_i64("h.i8") == std::vector<int64_t>(i8.begin(), i8.end()));
  REQUIRE(st.to_i64("i.u8") == std::vector<int64_t>{0, 1, 255});
  REQUIRE(st.to_bool("j.bool") == std::vector<uint8_t>{1, 0, 1, 0, 1});
  REQUIRE(st.to_bool("i.u8") == std::vector<uint8_t>{0, 1, 1});
  REQUIRE(st.to_bool("g.i16") == std::vector<uint8_t>{0, 1, 1, 1, 1, 0});
  REQUIRE(st.to_bool("e.i64") == std::vector<uint8_t>{0, 1, 1, 1, 1, 1});
  REQUIRE(st.to_bool("f.i32") == std::vector<uint8_t>{0, 1, 1, 1});
  REQUIRE(st.to_bool("h.i8") == std::vector<uint8_t>{0, 1, 1, 1});
  REQUIRE(st.to_i64("l2.pad") == std::vector<int64_t>{255});

  REQUIRE(st.get("k.scalar").shape.empty());
  REQUIRE(st.get("k.scalar").numel() == 1);
  REQUIRE(st.get("k.scalar").shape_str() == "[]");
  REQUIRE(st.to_f32("k.scalar") == std::vector<float>{1.5f});
  REQUIRE(st.get("l.empty").numel() == 0);
  REQUIRE(st.to_f32("l.empty").empty());
  // 205 bytes precede this F32 tensor in the data section (which starts at a
  // multiple of 8): its data is at an odd address.
  REQUIRE(reinterpret_cast<uintptr_t>(st.get("m.after_odd_bytes").data) % 4 != 0);
  REQUIRE(st.to_f32("m.after_odd_bytes") == std::vector<float>(f32.begin() + 1, f32.begin() + 4));

  for (DType dt : {DType::kF64, DType::kF32, DType::kF16, DType::kBF16, DType::kI64, DType::kI32,
                   DType::kI16, DType::kI8, DType::kU8, DType::kBool}) {
    DType back;
    REQUIRE(lst::dtype_from_name(lst::dtype_name(dt), &back));
    REQUIRE(back == dt);
  }
  DType unused;
  REQUIRE_FALSE(lst::dtype_from_name("F8_E4M3", &unused));

  // An empty writer is a valid, empty file.
  std::vector<uint8_t> empty = SafeTensorsWriter().serialize();
  REQUIRE(empty.size() == 16);
  SafeTensors est = SafeTensors::parse(empty.data(), empty.size());
  REQUIRE(est.names().empty());
  REQUIRE(est.metadata().empty());

  // Through a real file.
  const std::string path = "/tmp/lst_test_safetensors_roundtrip.safetensors";
  w.write_file(path);
  std::vector<uint8_t> again = lst::read_file_bytes(path);
  REQUIRE(again == file);
  std::remove(path.c_str());
}

TEST_CASE("safetensors: writer rejects bad input", "[safetensors]") {
  SafeTensorsWriter w;
  float x[4] = {1, 2, 3, 4};
  w.add_f32("x", {4}, x);
  REQUIRE_THROWS_WITH(w.add_f32("x", {4}, x), Contains("duplicate tensor 'x'"));
  REQUIRE_THROWS_WITH(w.add_f32("__metadata__", {4}, x), Contains("reserved"));
  REQUIRE_THROWS_WITH(w.add_f32("neg", {2, -1}, x), Contains("negative"));
  REQUIRE_THROWS_WITH(w.add_f32("null", {4}, nullptr), Contains("null data"));
  REQUIRE_THROWS_WITH(w.add_f16("huge", {int64_t(1) << 40, int64_t(1) << 40}, x),
                      Contains("too large"));
  SafeTensorsWriter bad;
  bad.add_f32("\xff\xfe", {1}, x);
  REQUIRE_THROWS_WITH(bad.serialize(), Contains("UTF-8"));
}

TEST_CASE("safetensors: file helpers name the path", "[safetensors]") {
  REQUIRE_THROWS_WITH(lst::read_file_bytes("/nonexistent-dir/w.safetensors"),
                      Contains("cannot open '/nonexistent-dir/w.safetensors': No such file"));
  REQUIRE_THROWS_WITH(lst::read_file_bytes("/tmp"), Contains("'/tmp'"));
  uint8_t b = 1;
  REQUIRE_THROWS_WITH(lst::write_file_bytes("/nonexistent-dir/out.bin", &b, 1),
                      Contains("cannot open '/nonexistent-dir/out.bin' for writing"));
}

TEST_CASE("safetensors: F16 and BF16 conversions are exact", "[safetensors]") {
  // All 65536 halves: decode matches the independent decoder bit for bit, and
  // half -> float -> half is the identity (NaN stays NaN).
  for (uint32_t u = 0; u < 65536; ++u) {
    const uint16_t h = static_cast<uint16_t>(u);
    const float f = lst::f16_to_f32(h);
    const double ref = ref_f16_value(h);
    const uint16_t back = lst::f32_to_f16(f);
    if (is_f16_nan(h)) {
      if (!std::isnan(f) || !is_f16_nan(back)) FAIL("half NaN 0x" << std::hex << u);
      continue;
    }
    if (static_cast<double>(f) != ref || std::signbit(f) != ((h & 0x8000) != 0))
      FAIL("f16_to_f32(0x" << std::hex << u << ") = " << f << ", expected " << ref);
    if (back != h) FAIL("half 0x" << std::hex << u << " round-trips to 0x" << back);
  }
  // BF16: all 65536 decode to h << 16 and round-trip.
  for (uint32_t u = 0; u < 65536; ++u) {
    const uint16_t h = static_cast<uint16_t>(u);
    const float f = lst::bf16_to_f32(h);
    if (bits_of(f) != (u << 16)) FAIL("bf16_to_f32(0x" << std::hex << u << ")");
    const uint16_t back = lst::f32_to_bf16(f);
    if (std::isnan(f)) {
      if (!std::isnan(lst::bf16_to_f32(back))) FAIL("bf16 NaN 0x" << std::hex << u);
    } else if (back != h) {
      FAIL("bf16 0x" << std::hex << u << " round-trips to 0x" << back);
    }
  }
  // Float -> half/bfloat16 rounding against the nearest-even reference on a
  // sweep of ~1M float bit patterns covering every exponent.
  size_t checked = 0;
  for (uint64_t x = 0; x <= 0xffffffffull; x += 4093) {
    const float f = float_of(static_cast<uint32_t>(x));
    const uint16_t h = lst::f32_to_f16(f);
    const uint16_t r = ref_f32_to_f16(f);
    if (std::isnan(f)) {
      if (!is_f16_nan(h)) FAIL("f32_to_f16(NaN 0x" << std::hex << x << ") = 0x" << h);
    } else if (h != r) {
      FAIL("f32_to_f16(0x" << std::hex << x << ") = 0x" << h << ", expected 0x" << r);
    }
    const uint16_t b = lst::f32_to_bf16(f);
    if (std::isnan(f)) {
      if (!std::isnan(lst::bf16_to_f32(b))) FAIL("f32_to_bf16(NaN 0x" << std::hex << x << ")");
    } else if (b != ref_f32_to_bf16(f)) {
      FAIL("f32_to_bf16(0x" << std::hex << x << ") = 0x" << b);
    }
    ++checked;
  }
  REQUIRE(checked > 1000000);
  // Named edge cases.
  REQUIRE(lst::f32_to_f16(65504.0f) == 0x7bff);
  REQUIRE(lst::f32_to_f16(65519.996f) == 0x7bff);
  REQUIRE(lst::f32_to_f16(65520.0f) == 0x7c00);  // tie rounds to even = inf
  REQUIRE(lst::f32_to_f16(-1e10f) == 0xfc00);
  REQUIRE(lst::f32_to_f16(std::ldexp(1.0f, -24)) == 0x0001);  // smallest subnormal
  REQUIRE(lst::f32_to_f16(std::ldexp(1.0f, -25)) == 0x0000);  // tie to even: 0
  REQUIRE(lst::f32_to_f16(std::nextafter(std::ldexp(1.0f, -25), 1.0f)) == 0x0001);
  REQUIRE(lst::f32_to_f16(std::ldexp(3.0f, -26)) == 0x0001);  // 0.75 ulp -> 1
  REQUIRE(lst::f32_to_f16(std::ldexp(3.0f, -25)) == 0x0002);  // 1.5 ulp: tie -> even 2
  REQUIRE(lst::f32_to_f16(std::ldexp(5.0f, -25)) == 0x0002);  // 2.5 ulp: tie -> even 2
  REQUIRE(lst::f32_to_f16(std::ldexp(1023.5f, -24)) == 0x0400);  // carries to the normal range
  REQUIRE(lst::f32_to_f16(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);      // tie -> even
  REQUIRE(lst::f32_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);  // tie -> even
  REQUIRE(lst::f32_to_f16(-0.0f) == 0x8000);
  REQUIRE(lst::f16_to_f32(0x0001) == std::ldexp(1.0f, -24));
  REQUIRE(lst::f16_to_f32(0x03ff) == std::ldexp(1023.0f, -24));
  REQUIRE(std::isinf(lst::f16_to_f32(0x7c00)));
  REQUIRE(std::isnan(lst::f16_to_f32(0x7e00)));
  REQUIRE(lst::f32_to_bf16(float_of(0x7f7fffff)) == 0x7f80);  // FLT_MAX rounds to inf
  REQUIRE(lst::f32_to_bf16(float_of(0x3f808000)) == 0x3f80);  // tie -> even
  REQUIRE(lst::f32_to_bf16(float_of(0x3f818000)) == 0x3f82);  // tie -> even
  REQUIRE(std::isnan(lst::bf16_to_f32(lst::f32_to_bf16(float_of(0x7f800001)))));  // sNaN stays NaN
}

TEST_CASE("safetensors: malformed files throw named errors", "[safetensors]") {
  // 1. empty file
  REQUIRE_THROWS_WITH(SafeTensors::parse(nullptr, 0), Contains("empty file"));
  std::vector<uint8_t> none;
  REQUIRE_THROWS_WITH(parse(none), Contains("empty file"));

  // 2. shorter than the 8-byte length
  std::vector<uint8_t> five = {1, 0, 0, 0, 0};
  REQUIRE_THROWS_WITH(parse(five), Contains("file is 5 bytes, shorter than the 8-byte header length"));

  // 3. header length beyond the file
  REQUIRE_THROWS_WITH(parse(with_length(1000, 20)),
                      Contains("header length 1000 is beyond the end of the file (12 bytes"));

  // 4. absurd header length (also: would overflow 8 + N)
  REQUIRE_THROWS_WITH(parse(with_length(uint64_t(1) << 63, 64)), Contains("is absurd"));
  REQUIRE_THROWS_WITH(parse(with_length(~uint64_t(0), 64)), Contains("is absurd"));
  REQUIRE_THROWS_WITH(parse(with_length(100000001, 64)), Contains("header length 100000001 is absurd"));

  // 5. header not JSON (syntax, trailing garbage, empty, bad UTF-8)
  REQUIRE_THROWS_WITH(parse(make_file("{not json")), Contains("invalid header JSON"));
  REQUIRE_THROWS_WITH(parse(make_file("{} x")), Contains("invalid header JSON"));
  REQUIRE_THROWS_WITH(parse(make_file("")), Contains("invalid header JSON"));
  REQUIRE_THROWS_WITH(parse(make_file("{\"\xff\":1}")), Contains("invalid header JSON"));

  // 6. header JSON not an object
  REQUIRE_THROWS_WITH(parse(make_file("[1, 2]")), Contains("header JSON is not an object (got array)"));
  REQUIRE_THROWS_WITH(parse(make_file("42")), Contains("not an object"));

  // 7. tensor entry not an object
  REQUIRE_THROWS_WITH(parse(make_file(R"({"w": [0, 4]})")),
                      Contains("tensor 'w' entry is not an object (got array)"));

  // 8. missing / ill-typed dtype
  REQUIRE_THROWS_WITH(parse(make_file(R"({"w": {"shape": [1], "data_offsets": [0, 4]}})", 4)),
                      Contains("tensor 'w' has no \"dtype\""));
  REQUIRE_THROWS_WITH(parse(make_file(R"({"w": {"dtype": 4, "shape": [1], "data_offsets": [0, 4]}})", 4)),
                      Contains("tensor 'w' dtype is not a string"));

  // 9. unknown dtype
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"w": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}})", 1)),
      Contains("tensor 'w' has unknown dtype 'F8_E4M3'"));
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"w": {"dtype": "f32", "shape": [1], "data_offsets": [0, 4]}})", 4)),
      Contains("unknown dtype 'f32'"));

  // 10. shape missing / not a list / bad elements / negative / huge
  REQUIRE_THROWS_WITH(parse(make_file(R"({"w": {"dtype": "F32", "data_offsets": [0, 4]}})", 4)),
                      Contains("tensor 'w' has no \"shape\""));
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"w": {"dtype": "F32", "shape": 1, "data_offsets": [0, 4]}})", 4)),
      Contains("tensor 'w' shape is not a list of integers"));
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"w": {"dtype": "F32", "shape": [1, "2"], "data_offsets": [0, 8]}})", 8)),
      Contains("tensor 'w' shape[1] is not an integer (got string)"));
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})", 4)),
      Contains("shape[0] is not an integer"));
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"w": {"dtype": "F32", "shape": [2, -1], "data_offsets": [0, 8]}})", 8)),
      Contains("tensor 'w' shape[1] = -1 is a negative dimension"));
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"w": {"dtype": "F32", "shape": [18446744073709551615], "data_offsets": [0, 8]}})", 8)),
      Contains("tensor 'w' shape[0] = 18446744073709551615 is a huge dimension"));
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"w": {"dtype": "F32", "shape": [1e30], "data_offsets": [0, 8]}})", 8)),
      Contains("shape[0] is not an integer (got number)"));

  // 11. shape product overflow (int64 element count, then bytes past 2^64)
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"w": {"dtype": "U8", "shape": [4294967296, 4294967296], "data_offsets": [0, 8]}})", 8)),
      Contains("tensor 'w' shape [4294967296, 4294967296] overflows"));
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"w": {"dtype": "F64", "shape": [4611686018427387904, 1], "data_offsets": [0, 8]}})", 8)),
      Contains("needs more than 2^64 bytes"));

  // 12. data_offsets missing / not a list / wrong arity / not integers
  REQUIRE_THROWS_WITH(parse(make_file(R"({"w": {"dtype": "F32", "shape": [1]}})", 4)),
                      Contains("tensor 'w' has no \"data_offsets\""));
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": "0-4"}})", 4)),
      Contains("tensor 'w' data_offsets is not a list"));
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})", 4)),
      Contains("tensor 'w' data_offsets must be [begin, end], got 1 values"));
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}})", 8)),
      Contains("got 3 values"));
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}})", 4)),
      Contains("tensor 'w' data_offsets are not non-negative integers"));
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": ["0", "4"]}})", 4)),
      Contains("data_offsets are not non-negative integers"));

  // 13. begin > end
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})", 8)),
      Contains("tensor 'w' data_offsets [8, 4] have begin > end"));

  // 14. offsets beyond the data section (incl. offsets near 2^63)
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"x.weight": {"dtype": "F32", "shape": [25], "data_offsets": [0, 100]}})", 64)),
      Contains("safetensors: tensor 'x.weight' data_offsets [0, 100] end beyond the data section (64 bytes)"));
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"w": {"dtype": "U8", "shape": [4], "data_offsets": [9223372036854775803, 9223372036854775807]}})", 4)),
      Contains("end beyond the data section (4 bytes)"));

  // 15. byte count does not match shape * dtype size
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 20]}})", 24)),
      Contains("tensor 'w' size mismatch: data_offsets [0, 20] hold 20 bytes but shape [2, 3] of F32 needs 24 bytes"));

  // 16. overlapping tensors (declared out of order in the header)
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]},
                          "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", 24)),
      Contains("tensors 'a' data_offsets [0, 16] and 'b' [8, 24] overlap"));
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
                          "b": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}})", 4)),
      Contains("overlap"));
  REQUIRE_THROWS_WITH(  // contained in a larger one, not adjacent after sorting
      parse(make_file(R"({"big": {"dtype": "U8", "shape": [16], "data_offsets": [0, 16]},
                          "in1": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]}})", 16)),
      Contains("'big' data_offsets [0, 16] and 'in1' [2, 4] overlap"));

  // 17. metadata not an object of strings
  REQUIRE_THROWS_WITH(parse(make_file(R"({"__metadata__": ["a"]})")),
                      Contains("__metadata__ is not an object (got array)"));
  REQUIRE_THROWS_WITH(parse(make_file(R"({"__metadata__": {"seed": 101}})")),
                      Contains("__metadata__ value for key 'seed' is not a string (got number)"));

  // 18. duplicate keys (nlohmann alone would keep the last silently)
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"w": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]},
                          "w": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}})", 2)),
      Contains("duplicate key 'w' (a tensor name)"));
  REQUIRE_THROWS_WITH(
      parse(make_file(R"({"w": {"dtype": "U8", "dtype": "I8", "shape": [1], "data_offsets": [0, 1]}})", 1)),
      Contains("duplicate key 'dtype'"));

  // 19. wrong converting reader, missing tensor
  SafeTensorsWriter w;
  const int64_t ids[3] = {1, 2, 3};
  const float fs[2] = {1, 2};
  w.add_i64("ids", {3}, ids);
  w.add_f32("fs", {2}, fs);
  std::vector<uint8_t> ok = w.serialize();
  SafeTensors st = parse(ok);
  REQUIRE_THROWS_WITH(st.to_f32("ids"), Contains("tensor 'ids' has dtype I64; to_f32"));
  REQUIRE_THROWS_WITH(st.to_i64("fs"), Contains("tensor 'fs' has dtype F32; to_i64"));
  REQUIRE_THROWS_WITH(st.to_bool("fs"), Contains("tensor 'fs' has dtype F32; to_bool"));
  REQUIRE_THROWS_WITH(st.get("nope"), Contains("missing tensor 'nope'"));
  REQUIRE_THROWS_WITH(st.to_f32("nope"), Contains("missing tensor 'nope'"));
  REQUIRE_FALSE(st.has("nope"));

  // All of these are lst::Error (what a JS caller receives).
  REQUIRE_THROWS_AS(parse(make_file("{not json")), lst::Error);
  REQUIRE_THROWS_AS(st.get("nope"), lst::Error);
}

TEST_CASE("safetensors: lenient where the format allows", "[safetensors]") {
  // Gaps between tensors, trailing bytes, zero-size tensors anywhere, extra
  // keys in an entry, whitespace padding: all accepted.
  std::vector<uint8_t> f = make_file(
      R"({"b": {"dtype": "U8", "shape": [2], "data_offsets": [6, 8], "extra": 1},
          "a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]},
          "z": {"dtype": "F32", "shape": [0, 1000000], "data_offsets": [1, 1]}}   )",
      12, 9);
  SafeTensors st = parse(f);
  REQUIRE(st.names() == std::vector<std::string>{"a", "z", "b"});
  REQUIRE(st.to_i64("b") == std::vector<int64_t>{9, 9});
  REQUIRE(st.to_f32("z").empty());

  // Zero elements even though the other dims multiply past 2^63.
  SafeTensors big = parse(make_file(
      R"({"e": {"dtype": "F64", "shape": [4611686018427387904, 4611686018427387904, 0], "data_offsets": [0, 0]}})"));
  REQUIRE(big.get("e").numel() == 0);
  REQUIRE(big.to_f32("e").empty());
}

TEST_CASE("safetensors: truncated files throw, never crash", "[safetensors]") {
  SafeTensorsWriter w;
  w.set_metadata("kind", "forward");
  std::vector<float> a(10, 0.5f);
  std::vector<int64_t> b(3, 7);
  std::vector<uint8_t> c(5, 1);
  w.add_f32("a", {2, 5}, a.data());
  w.add_i64("b", {3}, b.data());
  w.add_bool("c", {5}, c.data());
  std::vector<uint8_t> full = w.serialize();
  REQUIRE_NOTHROW(parse(full));
  for (size_t cut = 0; cut < full.size(); ++cut) {
    INFO("cut at " << cut << " of " << full.size());
    std::vector<uint8_t> part(full.begin(), full.begin() + static_cast<ptrdiff_t>(cut));
    REQUIRE_THROWS_AS(parse(part), lst::Error);
  }
  // A golden fixture cut at several points, each in its own exact-size heap
  // buffer so that a read past the end would show under ASan/valgrind.
  std::vector<uint8_t> g = lst::read_file_bytes(fixture("v2_nc_mask_pad_b2.safetensors"));
  for (size_t cut : {size_t(0), size_t(3), size_t(8), size_t(9), size_t(100), size_t(2000),
                     g.size() / 2, g.size() - 1}) {
    INFO("cut at " << cut);
    std::vector<uint8_t> part(g.begin(), g.begin() + static_cast<ptrdiff_t>(cut));
    REQUIRE_THROWS_AS(parse(part), lst::Error);
  }
  // The header cut mid-way with its length patched to match: the JSON is bad.
  std::vector<uint8_t> h(g.begin(), g.begin() + 8 + 1000);
  h[0] = 0xe8; h[1] = 0x03; for (int i = 2; i < 8; ++i) h[i] = 0;  // 1000
  REQUIRE_THROWS_WITH(parse(h), Contains("invalid header JSON"));
}
