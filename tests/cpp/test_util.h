// Helpers shared by the C++ tests: golden files, random models, comparisons.
#pragma once
#include <cstdint>
#include <functional>
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

// Central differences (step 1e-5) on every parameter of the flat double
// vector `params` (ParamLayout order) against the analytic `grads`: the worst
// |g - fd| / (1e-8 + 1e-5 |fd|) (<= 1 passes), the largest |g - fd| and the
// worst parameter's name. `loss` recomputes the loss from `params`.
struct FiniteDifference {
  double worst_ratio = 0, max_err = 0;
  std::string worst_name;
};
FiniteDifference finite_difference_check(const Config& c, std::vector<double>& params,
                                         const std::vector<double>& grads,
                                         const std::function<double()>& loss);

double max_abs_diff(const float* a, const double* b, size_t n);
double max_abs_diff(const float* a, const float* b, size_t n);

}  // namespace lst::test
