#include "test_util.h"

#include "train/params.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

namespace lst::test {

LoadedFile load_file(const std::string& path) {
  LoadedFile f;
  f.path = path;
  f.bytes = read_file_bytes(path);
  f.st = std::make_unique<SafeTensors>(SafeTensors::parse(f.bytes.data(), f.bytes.size()));
  return f;
}

std::string golden_dir() {
  const char* env = std::getenv("LST_GOLDEN_DIR");
  return env && *env ? env : LST_FIXTURES_DIR;
}

std::vector<std::string> golden_files() {
  std::vector<std::string> files;
  for (auto& e : std::filesystem::directory_iterator(golden_dir()))
    if (e.path().extension() == ".safetensors") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

Config byte_config(int dim, int depth, int dim_head, int window_size, int max_seq_len) {
  Config c;
  c.num_tokens = 256;
  c.dim = dim;
  c.depth = depth;
  c.heads = 2;
  c.dim_head = dim_head;
  c.window_size = window_size;
  c.segment_size = 4;
  c.r = 1;
  c.max_seq_len = max_seq_len;
  return c;
}

Weights random_weights(const Config& c, uint64_t seed) {
  Weights w = init_weights(c, seed);
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ull);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (auto& t : state_dict(w, c)) {
    const std::string& n = t.name;
    const bool is_norm_w = n.find("norm.weight") != std::string::npos || n == "to_logits.0.weight";
    const bool is_bias = n.size() > 5 && n.compare(n.size() - 5, 5, ".bias") == 0;
    if (is_norm_w)
      for (auto& v : *t.data) v += 0.15f * nd(rng);
    if (is_bias)
      for (auto& v : *t.data) v += 0.1f * nd(rng);
    if (n.find("to_q.weight") != std::string::npos)
      for (auto& v : *t.data) v *= 2.0f;
    if (n.find("to_dynamic_proj") != std::string::npos)
      for (auto& v : *t.data) v *= 4.0f;
  }
  return w;
}

double max_abs_diff(const float* a, const double* b, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; ++i) {
    double d = std::fabs(double(a[i]) - b[i]);
    if (!(d <= m)) m = d;  // NaN propagates as a failure
  }
  return m;
}

double max_abs_diff(const float* a, const float* b, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; ++i) {
    double d = std::fabs(double(a[i]) - double(b[i]));
    if (!(d <= m)) m = d;
  }
  return m;
}

FiniteDifference finite_difference_check(const Config& c, std::vector<double>& params,
                                         const std::vector<double>& grads,
                                         const std::function<double()>& loss) {
  const double h = 1e-5;
  FiniteDifference r;
  for (const auto& e : train::ParamLayout::make(c).entries)
    for (size_t j = 0; j < e.numel; ++j) {
      double& x = params[e.offset + j];
      const double x0 = x;
      x = x0 + h;
      const double lp = loss();
      x = x0 - h;
      const double lm = loss();
      x = x0;
      const double fd = (lp - lm) / (2 * h);
      const double err = std::fabs(grads[e.offset + j] - fd);
      const double ratio = err / (1e-8 + 1e-5 * std::fabs(fd));
      r.max_err = std::max(r.max_err, err);
      if (!(ratio <= r.worst_ratio)) {
        r.worst_ratio = ratio;
        r.worst_name = e.name + "[" + std::to_string(j) + "]";
      }
    }
  return r;
}

}  // namespace lst::test
