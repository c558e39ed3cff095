// Byte-level training data (docs/SPEC.md §5): any file as bytes (raw, or gzip when
// the build has zlib), split as the seed splits enwik8 (first 90e6 bytes
// train, next 5e6 validation) or by a held-out fraction at the end, and
// random windows of seq + 1 bytes from a seeded, resumable generator (the
// seed's TextSamplerDataset: start uniform in [0, size - seq - 1)).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lst::train {

// Whole file as bytes; a gzip file (magic 1f 8b) is inflated. Throws
// lst::Error naming the path (or saying that this build lacks zlib).
std::vector<uint8_t> load_bytes(const std::string& path);

struct DataSplit {
  std::vector<uint8_t> train, valid;
};

// The seed's enwik8 split: bytes [0, 90e6) train, [90e6, 95e6) validation.
DataSplit split_enwik8(std::vector<uint8_t> bytes);
// The last `valid_fraction` of the bytes held out (e.g. 0.1).
DataSplit split_fraction(std::vector<uint8_t> bytes, double valid_fraction);

// Random windows of `len` = seq + 1 bytes as token ids, drawn by splitmix64
// (core/splitmix64.h): its 64-bit state is all a checkpoint saves.
class WindowSampler {
 public:
  WindowSampler(const std::vector<uint8_t>* data, uint64_t seed);
  // out: (b, len) ids. Throws when the data is shorter than len + 1 bytes.
  void sample(int32_t* out, int64_t b, int64_t len);
  uint64_t state() const { return state_; }
  void set_state(uint64_t s) { state_ = s; }

 private:
  const std::vector<uint8_t>* data_;
  uint64_t state_;
};

}  // namespace lst::train
