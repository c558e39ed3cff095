// libFuzzer target for the safetensors reader (and, on inputs it accepts, the
// writer). Any crash, sanitizer report, uncaught exception or round-trip
// mismatch is a bug; lst::Error is the only allowed outcome of bad input.
//
//   scripts/fuzz.sh [seconds]      (builds with -DLST_FUZZ=ON and clang)
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/safetensors.h"

namespace {

// Reads every tensor through every converting reader; each may refuse the
// dtype with lst::Error, but must never read outside the tensor.
void read_everything(const lst::SafeTensors& st) {
  for (const std::string& name : st.names()) {
    const lst::TensorView& t = st.get(name);
    const size_t n = static_cast<size_t>(t.numel());
    if (t.nbytes != n * lst::dtype_size(t.dtype)) std::abort();
    (void)t.shape_str();
    try {
      if (st.to_f32(name).size() != n) std::abort();
    } catch (const lst::Error&) {
    }
    try {
      if (st.to_i64(name).size() != n) std::abort();
    } catch (const lst::Error&) {
    }
    try {
      if (st.to_bool(name).size() != n) std::abort();
    } catch (const lst::Error&) {
    }
  }
}

// Whatever the reader accepts, the writer re-encodes and the reader reads back
// identically (names, dtypes, shapes, bytes, metadata).
void round_trip(const lst::SafeTensors& st) {
  lst::SafeTensorsWriter w;
  for (const auto& kv : st.metadata()) w.set_metadata(kv.first, kv.second);
  const std::vector<std::string> names = st.names();
  for (const std::string& name : names) {
    const lst::TensorView& t = st.get(name);
    w.add_raw(name, t.dtype, t.shape, t.data);
  }
  const std::vector<uint8_t> bytes = w.serialize();
  const lst::SafeTensors back = lst::SafeTensors::parse(bytes.data(), bytes.size());
  if (back.metadata() != st.metadata()) std::abort();
  if (back.names().size() != names.size()) std::abort();
  for (const std::string& name : names) {
    const lst::TensorView& a = st.get(name);
    const lst::TensorView& b = back.get(name);
    if (a.dtype != b.dtype || a.shape != b.shape || a.nbytes != b.nbytes) std::abort();
    if (a.nbytes && std::memcmp(a.data, b.data, a.nbytes) != 0) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size heap copy, so that ASan flags even a one-byte over-read.
  std::vector<uint8_t> buf(data, data + size);
  lst::SafeTensors st;
  try {
    st = lst::SafeTensors::parse(buf.data(), buf.size());
  } catch (const lst::Error&) {
    return 0;  // refusing bad input is the expected outcome
  }
  read_everything(st);
  try {
    round_trip(st);
  } catch (const lst::Error& e) {
    // The writer refused, or the reader refused the writer's output, for a
    // file the reader accepted: reader and writer disagree.
    std::fprintf(stderr, "round trip failed: %s\n", e.what());
    std::abort();
  }
  return 0;
}
