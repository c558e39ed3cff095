#include "io/file_bytes.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>

#include "core/error.h"

namespace lst {

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    int err = errno;
    LST_FAIL("cannot open '", path, "': ", std::strerror(err));
  }
  // Only regular files: a device or a pipe (/dev/zero, /dev/stdin) has no
  // size to check and could be read until memory runs out.
  struct stat info {};
  if (fstat(fileno(f), &info) != 0 || !S_ISREG(info.st_mode)) {
    std::fclose(f);
    LST_FAIL("'", path, "' is not a regular file (a device, pipe or directory cannot be read as a model or data file)");
  }
  std::vector<uint8_t> out;
  try {
    out.reserve(static_cast<size_t>(info.st_size));
  } catch (const std::exception&) {  // bad_alloc, length_error
    std::fclose(f);
    LST_FAIL("'", path, "' is ", static_cast<long long>(info.st_size), " bytes, more than this process can hold in memory");
  }
  constexpr size_t kChunk = 1 << 20;
  for (;;) {
    const size_t old = out.size();
    out.resize(old + kChunk);
    const size_t got = std::fread(out.data() + old, 1, kChunk, f);
    out.resize(old + got);
    if (got < kChunk) break;
  }
  if (std::ferror(f)) {
    int err = errno;
    std::fclose(f);
    LST_FAIL("error reading '", path, "': ", std::strerror(err));
  }
  std::fclose(f);
  return out;
}

void write_file_bytes(const std::string& path, const uint8_t* data, size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    int err = errno;
    LST_FAIL("cannot open '", path, "' for writing: ", std::strerror(err));
  }
  size_t put = size ? std::fwrite(data, 1, size, f) : 0;
  int err = errno;
  bool ok = put == size;
  if (std::fclose(f) != 0) {
    if (ok) err = errno;
    ok = false;
  }
  LST_CHECK(ok, "error writing '", path, "': ", std::strerror(err));
}

}  // namespace lst
