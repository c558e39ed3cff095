// The training forward and backward against independent references:
//  - the double-precision finite-difference gradient of the loss on tiny
//    random models (causal and non-causal, masks with fully masked prefixes
//    and fully masked rows, r > 1, odd dh, padding);
//  - the double forward against the naive reference model's logits, and the
//    float forward against the inference Model;
//  - accumulation (two backwards = twice the gradient) and thread counts.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "model/model.h"
#include "reference_model.h"
#include "runtime/thread_pool.h"
#include "test_util.h"
#include "train/training_pass.h"
#include "train/params.h"

using namespace lst;

namespace {

struct GradCase {
  const char* name;
  bool causal;
  int V, dim, depth, heads, dh, w, s, r;
  int b, n;           // tokens (b, n+1): n inputs per row
  const char* mask;   // "none", "holes", "prefix" (fully masked prefix), "row" (a whole row)
};

// 24 configurations. Causal needs r < s; P = w (non-causal) or lcm(w, s).
const GradCase kCases[] = {
    {"c_basic", true, 11, 8, 1, 2, 4, 4, 2, 1, 1, 8, "none"},
    {"c_pad", true, 13, 8, 2, 2, 4, 4, 2, 1, 2, 7, "none"},
    {"c_r2", true, 11, 8, 1, 2, 4, 4, 4, 2, 1, 12, "none"},
    {"c_r3_pad", true, 9, 8, 2, 1, 6, 4, 4, 3, 2, 10, "none"},
    {"c_odd_dh", true, 11, 10, 1, 2, 5, 4, 2, 1, 1, 8, "none"},
    {"c_odd_dh_r2", true, 10, 6, 2, 2, 3, 2, 3, 2, 2, 9, "holes"},
    {"c_lcm", true, 12, 8, 1, 2, 4, 4, 6, 2, 1, 11, "none"},
    {"c_holes", true, 11, 8, 2, 2, 4, 4, 2, 1, 2, 8, "holes"},
    {"c_prefix", true, 11, 8, 1, 2, 4, 4, 2, 1, 2, 10, "prefix"},
    {"c_prefix_r2", true, 11, 8, 2, 2, 4, 4, 4, 3, 2, 12, "prefix"},
    {"c_prefix_pad", true, 13, 8, 2, 1, 4, 4, 4, 1, 2, 9, "prefix"},
    {"c_row", true, 11, 8, 1, 2, 4, 4, 2, 1, 2, 8, "row"},
    {"c_h3", true, 11, 12, 1, 3, 4, 4, 2, 1, 1, 8, "holes"},
    {"c_long", true, 9, 8, 1, 1, 4, 2, 2, 1, 1, 16, "prefix"},
    {"nc_basic", false, 11, 8, 1, 2, 4, 4, 0, 2, 1, 8, "none"},
    {"nc_pad", false, 13, 8, 2, 2, 4, 4, 0, 3, 2, 7, "none"},
    {"nc_r1", false, 11, 8, 1, 2, 4, 4, 0, 1, 1, 12, "none"},
    {"nc_odd_dh", false, 11, 10, 1, 2, 5, 4, 0, 3, 1, 8, "holes"},
    {"nc_holes", false, 11, 8, 2, 2, 4, 4, 0, 2, 2, 8, "holes"},
    {"nc_prefix", false, 11, 8, 1, 2, 4, 4, 0, 4, 2, 10, "prefix"},
    {"nc_row", false, 11, 8, 2, 2, 4, 4, 0, 2, 2, 8, "row"},
    {"nc_h1_r5", false, 9, 8, 1, 1, 8, 2, 0, 5, 2, 5, "holes"},
    {"nc_w3", false, 10, 6, 2, 3, 2, 3, 0, 2, 1, 8, "prefix"},
    {"nc_dh1", false, 8, 4, 1, 2, 1, 2, 0, 2, 1, 6, "holes"},
};

Config config_of(const GradCase& k) {
  Config c;
  c.num_tokens = k.V;
  c.dim = k.dim;
  c.depth = k.depth;
  c.max_seq_len = 64;
  c.window_size = k.w;
  c.causal = k.causal;
  c.dim_head = k.dh;
  c.heads = k.heads;
  c.ff_mult = 2;
  c.segment_size = k.causal ? k.s : 0;
  c.r = k.r;
  c.validate();
  return c;
}

// tokens (b, n+1); mask (b, n+1) as the AutoregressiveWrapper slices it, or empty.
void make_inputs(const GradCase& k, uint64_t seed, std::vector<int32_t>* tokens,
                 std::vector<uint8_t>* mask) {
  std::mt19937_64 rng(seed);
  const int n1 = k.n + 1;
  tokens->resize(k.b * n1);
  for (auto& t : *tokens) t = static_cast<int32_t>(rng() % k.V);
  const std::string m = k.mask;
  mask->clear();
  if (m == "none") return;
  mask->assign(k.b * n1, 1);
  for (int i = 0; i < k.b; ++i)
    for (int t = 0; t < n1; ++t) {
      uint8_t& v = (*mask)[i * n1 + t];
      if (m == "holes") v = (rng() % 3) != 0;
      if (m == "prefix") v = t >= 3 + i;     // fully masked first 3+i positions
      if (m == "row") v = i != 0;            // sequence 0 entirely masked
    }
}

}  // namespace

TEST_CASE("training gradient equals the finite-difference gradient (double)", "[train]") {
  int total_checked = 0;
  for (const auto& k : kCases) {
    const Config c = config_of(k);
    const Weights w = test::random_weights(c, 1000 + total_checked);
    std::vector<int32_t> tokens;
    std::vector<uint8_t> mask;
    make_inputs(k, 77 + std::hash<std::string>{}(k.name) % 1000, &tokens, &mask);
    const uint8_t* mp = mask.empty() ? nullptr : mask.data();
    ThreadPool pool(1);
    train::TrainingPass<double> graph(c, pool);
    std::vector<double> params = train::flatten_weights<double>(w, c);
    std::vector<double> grads(params.size(), 0.0);
    const auto P = train::ParamPtrs<double>::bind(params.data(), c);
    const auto G = train::ParamPtrs<double>::bind(grads.data(), c);
    const auto freqs = train::rotary_freqs_of(w);
    const double loss = graph.forward_sequences(P, freqs, tokens.data(), mp, k.b, k.n + 1);
    graph.backward(P, G);
    REQUIRE(std::isfinite(loss));

    // Central differences on every parameter (the models are tiny).
    const auto fd = test::finite_difference_check(c, params, grads, [&] {
      return graph.forward_sequences(P, freqs, tokens.data(), mp, k.b, k.n + 1);
    });
    std::printf("train fd %-13s %3zu params  loss %.5f  max |g - fd| %.2e  worst err/tol %.3f (%s)\n",
                k.name, params.size(), loss, fd.max_err, fd.worst_ratio, fd.worst_name.c_str());
    INFO(k.name << " worst " << fd.worst_name);
    CHECK(fd.worst_ratio <= 1.0);
    ++total_checked;
  }
  CHECK(total_checked >= 20);
}

TEST_CASE("training forward matches the reference model and the inference Model", "[train]") {
  for (const auto& k : kCases) {
    const Config c = config_of(k);
    const Weights w = test::random_weights(c, 31);
    std::vector<int32_t> tokens;
    std::vector<uint8_t> mask;
    make_inputs(k, 5, &tokens, &mask);
    // inputs = tokens[:, :-1]
    const int64_t b = k.b, n = k.n, n1 = n + 1;
    std::vector<int32_t> in(b * n);
    std::vector<uint8_t> m(mask.empty() ? 0 : b * n);
    for (int64_t i = 0; i < b; ++i)
      for (int64_t t = 0; t < n; ++t) {
        in[i * n + t] = tokens[i * n1 + t];
        if (!mask.empty()) m[i * n + t] = mask[i * n1 + t];
      }
    const std::vector<double> ref = reference::forward(c, w, in, m, b, n);
    ThreadPool pool(2);
    train::TrainingPass<double> gd(c, pool);
    train::TrainingPass<float> gf(c, pool);
    auto pd = train::flatten_weights<double>(w, c);
    auto pf = train::flatten_weights<float>(w, c);
    const auto freqs = train::rotary_freqs_of(w);
    gd.forward(train::ParamPtrs<double>::bind(pd.data(), c), freqs, in.data(), nullptr,
               m.empty() ? nullptr : m.data(), b, n);
    gf.forward(train::ParamPtrs<float>::bind(pf.data(), c), freqs, in.data(), nullptr,
               m.empty() ? nullptr : m.data(), b, n);
    Model model(c, w);
    std::vector<float> logits(b * n * c.num_tokens);
    model.forward(in.data(), m.empty() ? nullptr : m.data(), b, n, logits.data());
    double err_d = 0, err_f = 0;
    const int64_t N = gd.padded_length(), V = c.num_tokens;
    for (int64_t i = 0; i < b; ++i)
      for (int64_t t = 0; t < n; ++t)
        for (int64_t v = 0; v < V; ++v) {
          const double r = ref[(i * n + t) * V + v];
          err_d = std::max(err_d, std::fabs(gd.logits()[(i * N + t) * V + v] - r));
          err_f = std::max(err_f, std::fabs(double(gf.logits()[(i * N + t) * V + v]) -
                                            double(logits[(i * n + t) * V + v])));
        }
    INFO(k.name);
    CHECK(err_d < 1e-10);
    CHECK(err_f < 2e-5);
  }
}

TEST_CASE("gradients accumulate over backward calls and do not depend on threads", "[train]") {
  const GradCase& k = kCases[9];  // causal, r = 3, masked prefixes
  const Config c = config_of(k);
  const Weights w = test::random_weights(c, 4);
  std::vector<int32_t> tokens;
  std::vector<uint8_t> mask;
  make_inputs(k, 9, &tokens, &mask);
  const auto freqs = train::rotary_freqs_of(w);
  std::vector<float> params = train::flatten_weights<float>(w, c);
  const auto P = train::ParamPtrs<float>::bind(params.data(), c);
  std::vector<std::vector<float>> results;
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    train::TrainingPass<float> graph(c, pool);
    std::vector<float> once(params.size(), 0.0f), twice(params.size(), 0.0f);
    graph.forward_sequences(P, freqs, tokens.data(), mask.data(), k.b, k.n + 1);
    graph.backward(P, train::ParamPtrs<float>::bind(once.data(), c));
    for (int rep = 0; rep < 2; ++rep) {
      graph.forward_sequences(P, freqs, tokens.data(), mask.data(), k.b, k.n + 1);
      graph.backward(P, train::ParamPtrs<float>::bind(twice.data(), c));
    }
    // each backward adds its own partial sums, so equal up to float rounding
    double worst = 0;
    for (size_t i = 0; i < once.size(); ++i)
      worst = std::max(worst, std::fabs(double(twice[i]) - 2.0 * once[i]) /
                                  (1e-7 + 1e-5 * std::fabs(double(once[i]))));
    CHECK(worst <= 1.0);
    results.push_back(once);
  }
  CHECK(test::max_abs_diff(results[0].data(), results[1].data(), results[0].size()) < 1e-6);
}

TEST_CASE("training memory is planned up front", "[train]") {
  Config c;  // the reference package's train.py
  c.num_tokens = 256;
  c.dim = 512;
  c.depth = 8;
  c.max_seq_len = 1024;
  c.heads = 8;
  c.dim_head = 64;
  c.window_size = 128;
  c.causal = true;
  c.segment_size = 16;
  c.r = 1;
  const auto m = train::training_memory(c, 4, 1024);
  std::printf("train memory (seed train.py config, batch 4 x 1024): params %.1f MB, grads %.1f MB, "
              "adam %.1f MB, activations %.1f MB, total %.1f MB\n",
              m.params / 1e6, m.grads / 1e6, m.optimizer / 1e6, m.activations / 1e6,
              m.total() / 1e6);
  CHECK(m.params == size_t(count_parameters(c)) * 4);
  CHECK(m.activations > 0);
}
