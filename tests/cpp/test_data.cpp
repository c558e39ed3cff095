// Training data: files raw and gzip-compressed (the project's builds link
// zlib), the enwik8 and held-out-fraction splits, and the window sampler
// (contiguous windows, seeded, resumable from its state).
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "train/data.h"

using namespace lst::train;

namespace {
std::string temp_path(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/lst-test-data-" + name;
}
void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}
std::vector<uint8_t> some_text(size_t n) {
  std::vector<uint8_t> v(n);
  std::mt19937 rng(7);
  for (auto& b : v) b = uint8_t('a' + rng() % 26);
  return v;
}
}  // namespace

TEST_CASE("load_bytes reads raw and gzip files, and names what is wrong", "[data]") {
  const std::vector<uint8_t> text = some_text(300000);
  const std::string raw = temp_path("raw.txt");
  write_file(raw, text);
  CHECK(load_bytes(raw) == text);
  // gzip -c: the same bytes back (several 64 KB inflate chunks).
  const std::string gz = temp_path("raw.txt.gz");
  REQUIRE(std::system(("gzip -c " + raw + " > " + gz).c_str()) == 0);
  CHECK(load_bytes(gz) == text);
  // Truncated and corrupt gzip data, a missing file.
  std::ifstream in(gz, std::ios::binary);
  std::vector<uint8_t> packed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  write_file(gz, std::vector<uint8_t>(packed.begin(), packed.begin() + long(packed.size() / 2)));
  CHECK_THROWS_WITH(load_bytes(gz), Catch::Contains("truncated gzip data"));
  packed[packed.size() / 2] ^= 0xff;
  packed[packed.size() / 2 + 1] ^= 0xff;
  write_file(gz, packed);
  CHECK_THROWS_WITH(load_bytes(gz), Catch::Contains("gzip"));
  CHECK_THROWS_WITH(load_bytes(temp_path("missing")), Catch::Contains("lst-test-data-missing"));
  std::remove(raw.c_str());
  std::remove(gz.c_str());
}

TEST_CASE("splits: the held-out fraction at the end, enwik8's 90e6 / 5e6", "[data]") {
  const std::vector<uint8_t> text = some_text(1001);
  const DataSplit s = split_fraction(text, 0.1);
  CHECK(s.valid.size() == 100);   // floor(1001 * 0.1)
  CHECK(s.train.size() == 901);
  std::vector<uint8_t> joined = s.train;
  joined.insert(joined.end(), s.valid.begin(), s.valid.end());
  CHECK(joined == text);
  CHECK_THROWS_WITH(split_fraction(text, 0), Catch::Contains("(0, 1)"));
  CHECK_THROWS_WITH(split_fraction(text, 1), Catch::Contains("(0, 1)"));
  CHECK_THROWS_WITH(split_enwik8(text), Catch::Contains("at least 95e6 bytes"));
}

TEST_CASE("window sampler: contiguous windows, seeded, resumable", "[data]") {
  std::vector<uint8_t> data(500);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i % 251);   // position readable from the byte
  WindowSampler a(&data, 42), b(&data, 42), c(&data, 43);
  std::vector<int32_t> wa(3 * 9), wb(3 * 9), wc(3 * 9);
  a.sample(wa.data(), 3, 9);
  b.sample(wb.data(), 3, 9);
  c.sample(wc.data(), 3, 9);
  CHECK(wa == wb);
  CHECK(wa != wc);
  for (int r = 0; r < 3; ++r)
    for (int t = 1; t < 9; ++t) CHECK(wa[r * 9 + t] == (wa[r * 9 + t - 1] + 1) % 251);
  // Saving the state and setting it on another sampler continues the same stream.
  const uint64_t state = a.state();
  std::vector<int32_t> next_a(2 * 9), next_d(2 * 9);
  a.sample(next_a.data(), 2, 9);
  WindowSampler d(&data, 0);
  d.set_state(state);
  d.sample(next_d.data(), 2, 9);
  CHECK(next_a == next_d);
  // Windows need len + 1 bytes of data.
  std::vector<uint8_t> tiny(9);
  WindowSampler t(&tiny, 1);
  CHECK_THROWS_WITH(t.sample(wa.data(), 1, 9), Catch::Contains("too few for windows of 9"));
}
