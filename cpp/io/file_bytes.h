// Whole-file reads and writes with named errors: only regular files are
// read (a device or a pipe has no size to check), and a file larger than the
// process can hold is refused before it is read.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lst {

// Throw lst::Error naming the path on failure.
std::vector<uint8_t> read_file_bytes(const std::string& path);
void write_file_bytes(const std::string& path, const uint8_t* data, size_t size);

}  // namespace lst
