// Golden checkers of the training kinds (../shared/golden/README.md):
//  - train_grad: the AutoregressiveWrapper loss and every parameter gradient;
//  - train_steps: the reference package's train.py loop (accumulation, clipping, Adam).
// Registered in golden_checks.cpp's kChecks.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "golden_checks.h"
#include "model/model.h"
#include "runtime/thread_pool.h"
#include "train/adam.h"
#include "train/training_pass.h"
#include "train/params.h"

namespace lst::test {
namespace {

constexpr double kLossTol = 1e-5;
constexpr double kGradAbsTol = 1e-6, kGradRelTol = 1e-4;  // 1e-6 + 1e-4 |g_ref|
constexpr double kFinalWeightTol = 2e-5;

std::vector<int32_t> to_i32(const std::vector<int64_t>& v) {
  return std::vector<int32_t>(v.begin(), v.end());
}

// Worst elementwise |a - ref| / (abs_tol + rel_tol |ref|) (> 1 fails); also
// raises *max_abs to the largest |a - ref|.
double worst_ratio(const float* a, const std::vector<float>& ref, double abs_tol,
                   double rel_tol, double* max_abs) {
  double worst = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double d = std::fabs(double(a[i]) - double(ref[i]));
    const double r = d / (abs_tol + rel_tol * std::fabs(double(ref[i])));
    if (!(r <= worst)) worst = r;  // NaN fails
    if (!(d <= *max_abs)) *max_abs = d;
  }
  return worst;
}

}  // namespace

void check_train_grad(const std::string& name, const LoadedFile& f) {
  const SafeTensors& st = *f.st;
  const Config c = Model::resolve_config(st, nullptr);
  const Weights w = load_weights(st, c);
  const auto& tok = st.get("input.tokens");
  REQUIRE(tok.shape.size() == 2);
  const int64_t b = tok.shape[0], n1 = tok.shape[1];
  const std::vector<int32_t> tokens = to_i32(st.to_i64("input.tokens"));
  std::vector<uint8_t> mask;
  if (st.has("input.mask")) mask = st.to_bool("input.mask");
  const double loss_ref = st.to_f32("output.loss")[0];
  const auto layout = train::ParamLayout::make(c);
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    train::TrainingPass<float> graph(c, pool);
    std::vector<float> params = train::flatten_weights<float>(w, c);
    std::vector<float> grads(params.size(), 0.0f);
    auto P = train::ParamPtrs<float>::bind(params.data(), c);
    auto G = train::ParamPtrs<float>::bind(grads.data(), c);
    const double loss = graph.forward_sequences(P, train::rotary_freqs_of(w), tokens.data(),
                                                mask.empty() ? nullptr : mask.data(), b, n1);
    graph.backward(P, G);
    const double loss_err = std::fabs(loss - loss_ref);
    double worst = 0, max_abs = 0;
    std::string worst_name;
    for (const auto& e : layout.entries) {
      const std::string gname = "grad." + e.name;
      REQUIRE(st.has(gname));
      const std::vector<float> ref = st.to_f32(gname);
      REQUIRE(ref.size() == e.numel);
      const double r = worst_ratio(grads.data() + e.offset, ref, kGradAbsTol, kGradRelTol,
                                   &max_abs);
      if (!(r <= worst)) {
        worst = r;
        worst_name = e.name;
      }
    }
    const bool ok = loss_err <= kLossTol && worst <= 1.0;
    std::printf("golden %-22s train_grad  %dT  loss_err %.3g  grads (%zu tensors) max_abs_err "
                "%.3g  worst err/tol %.3g (%s)  %s\n",
                name.c_str(), threads, loss_err, layout.entries.size(), max_abs, worst,
                worst_name.c_str(), ok ? "ok" : "FAIL");
    INFO(name << " threads " << threads << " worst tensor " << worst_name);
    CHECK(loss_err <= kLossTol);
    CHECK(worst <= 1.0);
  }
}

void check_train_steps(const std::string& name, const LoadedFile& f) {
  const SafeTensors& st = *f.st;
  const Config c = Model::resolve_config(st, nullptr);
  const Weights w = load_weights(st, c);
  const auto& md = st.metadata();
  auto meta_double = [&](const char* key, double fallback) {
    auto it = md.find(key);
    return it == md.end() ? fallback : std::stod(it->second);
  };
  const auto& bt = st.get("input.batches");
  REQUIRE(bt.shape.size() == 4);
  const int64_t steps = bt.shape[0], accum = bt.shape[1], b = bt.shape[2], n1 = bt.shape[3];
  const std::vector<int32_t> batches = to_i32(st.to_i64("input.batches"));
  std::vector<uint8_t> mask;
  if (st.has("input.mask")) mask = st.to_bool("input.mask");  // [b, n+1], every micro-batch
  const std::vector<float> losses_ref = st.to_f32("output.losses");
  train::AdamOptions opt;
  opt.lr = meta_double("lr", 3e-4);
  const double clip = meta_double("clip", 0.5);
  const auto layout = train::ParamLayout::make(c);
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    train::TrainingPass<float> graph(c, pool);
    std::vector<float> params = train::flatten_weights<float>(w, c);
    std::vector<float> grads(params.size(), 0.0f);
    train::Adam adam(params.size(), opt);
    auto P = train::ParamPtrs<float>::bind(params.data(), c);
    auto G = train::ParamPtrs<float>::bind(grads.data(), c);
    const auto freqs = train::rotary_freqs_of(w);
    double loss_err = 0;
    for (int64_t s = 0; s < steps; ++s) {
      std::fill(grads.begin(), grads.end(), 0.0f);
      for (int64_t a = 0; a < accum; ++a) {
        const int32_t* tok = batches.data() + (s * accum + a) * b * n1;
        const double loss = graph.forward_sequences(P, freqs, tok,
                                                    mask.empty() ? nullptr : mask.data(), b, n1);
        graph.backward(P, G);  // micro-batch gradients SUM
        loss_err = std::max(loss_err, std::fabs(loss - losses_ref[s * accum + a]));
      }
      train::clip_grad_norm(grads.data(), grads.size(), clip);
      adam.step(params.data(), grads.data());
    }
    double max_abs = 0;
    std::string worst_name;
    for (const auto& e : layout.entries) {
      const std::vector<float> ref = st.to_f32("final." + e.name);
      REQUIRE(ref.size() == e.numel);
      const double d = max_abs_diff(params.data() + e.offset, ref.data(), ref.size());
      if (!(d <= max_abs)) {
        max_abs = d;
        worst_name = e.name;
      }
    }
    const bool ok = loss_err <= kLossTol && max_abs <= kFinalWeightTol;
    std::printf("golden %-22s train_steps %dT  %lld steps x %lld micro-batches  losses "
                "max_abs_err %.3g  final weights max_abs_err %.3g (%s)  %s\n",
                name.c_str(), threads, static_cast<long long>(steps),
                static_cast<long long>(accum), loss_err, max_abs, worst_name.c_str(),
                ok ? "ok" : "FAIL");
    INFO(name << " threads " << threads << " worst tensor " << worst_name);
    CHECK(loss_err <= kLossTol);
    CHECK(max_abs <= kFinalWeightTol);
  }
}

}  // namespace lst::test
