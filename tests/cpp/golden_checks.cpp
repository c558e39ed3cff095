#include "golden_checks.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <vector>

#include "generation/generate.h"
#include "model/incremental_decoder.h"
#include "model/model.h"

namespace lst::test {

// golden_checks_train.cpp
void check_train_grad(const std::string& name, const LoadedFile& f);
void check_train_steps(const std::string& name, const LoadedFile& f);

namespace {

constexpr double kLogitsTol = 5e-5;  // ../shared/golden/README.md

std::vector<int32_t> to_i32(const std::vector<int64_t>& v) {
  return std::vector<int32_t>(v.begin(), v.end());
}

void check_forward(const std::string& name, const LoadedFile& f) {
  const SafeTensors& st = *f.st;
  const auto& tok = st.get("input.tokens");
  REQUIRE(tok.shape.size() == 2);
  const int64_t b = tok.shape[0], n = tok.shape[1];
  std::vector<int32_t> tokens = to_i32(st.to_i64("input.tokens"));
  std::vector<uint8_t> mask;
  if (st.has("input.mask")) mask = st.to_bool("input.mask");
  std::vector<float> expected = st.to_f32("output.logits");
  for (GemmBackend be : {GemmBackend::kBuiltin, GemmBackend::kXnnpack}) {
    if (!gemm_backend_available(be)) continue;
    for (int threads : {1, 2}) {
      Model model = Model::from_safetensors(st, nullptr, {be, threads});
      std::vector<float> logits(expected.size());
      model.forward(tokens.data(), mask.empty() ? nullptr : mask.data(), b, n, logits.data());
      const double err = max_abs_diff(logits.data(), expected.data(), expected.size());
      std::printf("golden %-22s forward  %-8s %dT  max_abs_err %.3g  %s\n", name.c_str(),
                  gemm_backend_name(be), threads, err, err <= kLogitsTol ? "ok" : "FAIL");
      INFO(name << " backend " << gemm_backend_name(be) << " threads " << threads);
      CHECK(err <= kLogitsTol);
    }
  }
}

// Greedy generation past max_seq_len, token for token, one decoder per row
// (the reference package's batched call is row-independent here: all-true masks).
void check_generate(const std::string& name, const LoadedFile& f) {
  const SafeTensors& st = *f.st;
  const auto& md = st.metadata();
  const auto& pv = st.get("input.prompt");
  REQUIRE(pv.shape.size() == 2);
  const int64_t b = pv.shape[0], t = pv.shape[1];
  std::vector<int32_t> prompt = to_i32(st.to_i64("input.prompt"));
  std::vector<int64_t> expected = st.to_i64("output.generated");
  GenerateOptions o;
  o.max_new_tokens = std::stoi(md.at("gen_len"));
  o.sampling.filter_thres = std::stod(md.at("filter_thres"));
  o.sampling.temperature = md.count("temperature") ? std::stod(md.at("temperature")) : 1.0;
  for (GemmBackend be : {GemmBackend::kBuiltin, GemmBackend::kXnnpack}) {
    if (!gemm_backend_available(be)) continue;
    Model model = Model::from_safetensors(st, nullptr, {be, 1});
    IncrementalDecoder dec(model);
    int mismatches = 0;
    for (int64_t row = 0; row < b; ++row) {
      GenerateResult r = generate(dec, prompt.data() + row * t, t, o, row);
      REQUIRE(r.tokens.size() == static_cast<size_t>(o.max_new_tokens));
      for (int i = 0; i < o.max_new_tokens; ++i)
        mismatches += r.tokens[i] != expected[row * o.max_new_tokens + i];
    }
    std::printf("golden %-22s generate %-8s %lldx%d tokens, %d mismatches  %s\n", name.c_str(),
                gemm_backend_name(be), static_cast<long long>(b), o.max_new_tokens, mismatches,
                mismatches == 0 ? "ok" : "FAIL");
    CHECK(mismatches == 0);
  }
}

const GoldenCheck kChecks[] = {
    {"forward", &check_forward},
    {"generate", &check_generate},
    {"train_grad", &check_train_grad},
    {"train_steps", &check_train_steps},
};

}  // namespace

const GoldenCheck* find_golden_check(const std::string& kind) {
  for (const auto& c : kChecks)
    if (kind == c.kind) return &c;
  return nullptr;
}

}  // namespace lst::test
