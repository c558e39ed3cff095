#include "train/data.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/splitmix64.h"
#include "io/safetensors.h"

#ifdef LST_HAVE_ZLIB
#include <zlib.h>
#endif

namespace lst::train {

namespace {

std::vector<uint8_t> gunzip(const std::vector<uint8_t>& in, const std::string& path) {
#ifdef LST_HAVE_ZLIB
  z_stream zs{};
  LST_CHECK(inflateInit2(&zs, 15 + 32) == Z_OK, "zlib: inflateInit2 failed for ", path);
  std::vector<uint8_t> out;
  out.reserve(in.size() * 3);
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(std::min<size_t>(in.size(), UINT32_MAX));
  size_t consumed_total = 0;
  int ret = Z_OK;
  uint8_t chunk[1 << 16];
  while (ret != Z_STREAM_END) {
    zs.next_out = chunk;
    zs.avail_out = sizeof(chunk);
    ret = inflate(&zs, Z_NO_FLUSH);
    if (ret != Z_OK && ret != Z_STREAM_END) {
      inflateEnd(&zs);
      LST_FAIL("'", path, "': corrupt gzip data (zlib error ", ret, ")");
    }
    out.insert(out.end(), chunk, chunk + (sizeof(chunk) - zs.avail_out));
    if (zs.avail_in == 0 && ret != Z_STREAM_END) {
      consumed_total += std::min<size_t>(in.size() - consumed_total, UINT32_MAX);
      if (consumed_total >= in.size()) {
        inflateEnd(&zs);
        LST_FAIL("'", path, "': truncated gzip data");
      }
      zs.avail_in = static_cast<uInt>(std::min<size_t>(in.size() - consumed_total, UINT32_MAX));
    }
  }
  inflateEnd(&zs);
  return out;
#else
  LST_FAIL("'", path, "' is gzip-compressed but this build has no zlib: decompress it first (gunzip)");
#endif
}

}  // namespace

std::vector<uint8_t> load_bytes(const std::string& path) {
  std::vector<uint8_t> bytes = read_file_bytes(path);
  if (bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) return gunzip(bytes, path);
  return bytes;
}

DataSplit split_enwik8(std::vector<uint8_t> bytes) {
  constexpr size_t kTrain = 90000000, kValid = 5000000;
  LST_CHECK(bytes.size() >= kTrain + kValid, "enwik8 split needs at least 95e6 bytes, the data has ",
            bytes.size(), " (use a fraction split for other files)");
  DataSplit s;
  s.valid.assign(bytes.begin() + kTrain, bytes.begin() + kTrain + kValid);
  bytes.resize(kTrain);
  s.train = std::move(bytes);
  return s;
}

DataSplit split_fraction(std::vector<uint8_t> bytes, double valid_fraction) {
  LST_CHECK(valid_fraction > 0 && valid_fraction < 1, "validation fraction must be in (0, 1), got ",
            valid_fraction);
  const size_t nvalid = static_cast<size_t>(std::floor(bytes.size() * valid_fraction));
  DataSplit s;
  s.valid.assign(bytes.end() - nvalid, bytes.end());
  bytes.resize(bytes.size() - nvalid);
  s.train = std::move(bytes);
  return s;
}

WindowSampler::WindowSampler(const std::vector<uint8_t>* data, uint64_t seed) : data_(data), state_(seed) {}

void WindowSampler::sample(int32_t* out, int64_t b, int64_t len) {
  const size_t size = data_->size();
  LST_CHECK(size > size_t(len), "data has ", size, " bytes, too few for windows of ", len,
            " (sequence length + 1)");
  SplitMix64 rng{state_};
  for (int64_t i = 0; i < b; ++i) {
    // the seed: randint(0, size - seq_len - 1), i.e. start in [0, size - len)
    const size_t start = rng.below(size - len);
    for (int64_t t = 0; t < len; ++t) out[i * len + t] = (*data_)[start + t];
  }
  state_ = rng.state;
}

}  // namespace lst::train
