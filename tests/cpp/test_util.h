// Helpers shared by the C++ tests: golden files, random models, comparisons.
#pragma once
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "model/config.h"
#include "model/weights.h"

namespace lst::test {

// A parsed safetensors file that owns its bytes.
struct LoadedFile {
  std::string path;
  std::vector<uint8_t> bytes;
  std::unique_ptr<SafeTensors> st;
};
LoadedFile load_file(const std::string& path);

// Golden cases: every *.safetensors in $LST_GOLDEN_DIR if set, else the
// project's tests/fixtures.
std::vector<std::string> golden_files();
std::string golden_dir();

// Random weights with non-trivial LayerNorm weights and biases (so a wrong
// mask or an identity norm shows), like the golden files' init.
Weights random_weights(const Config& c, uint64_t seed);

// A small causal byte-level config (num_tokens 256, 2 heads, segment_size 4, r 1).
Config byte_config(int dim, int depth, int dim_head, int window_size, int max_seq_len);

double max_abs_diff(const float* a, const double* b, size_t n);
double max_abs_diff(const float* a, const float* b, size_t n);

}  // namespace lst::test
