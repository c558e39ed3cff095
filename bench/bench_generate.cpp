// Milliseconds per new token at several context lengths, with the
// incremental cache and with full recomputation (the reference package's generate), for a
// byte-level model (dim 512, depth 6, heads 8, max_seq_len 8192, or --config),
// for each weight format of --dtype side by side in one run (the same seeded
// weights, converted as lst quantize converts them).
//   build/bench_generate [--quick] [--threads N] [--steps N] [--dtype f32,f16,int8]
//                        [--config JSON] [--contexts 128,1024,8192]
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench_timing.h"
#include "kernels/gemm_quant.h"
#include "model/incremental_decoder.h"

using namespace lst;
using bench::Clock;
using bench::median;


static std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

int main(int argc, char** argv) {
  int threads = 1, steps = 16;
  bool quick = false;
  std::string dtypes = "f32", config_json, contexts_arg;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--steps") && i + 1 < argc) steps = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--dtype") && i + 1 < argc) dtypes = argv[++i];
    else if (!std::strcmp(argv[i], "--config") && i + 1 < argc) config_json = argv[++i];
    else if (!std::strcmp(argv[i], "--contexts") && i + 1 < argc) contexts_arg = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--quick] [--threads N] [--steps N] [--dtype f32,f16,int8] [--config JSON] [--contexts 128,1024]\n", argv[0]);
      return 2;
    }
  }
  Config c = Config::from_json(!config_json.empty() ? config_json : quick
      ? R"({"num_tokens": 256, "dim": 128, "depth": 2, "heads": 4, "dim_head": 32, "max_seq_len": 1024, "window_size": 128, "segment_size": 16, "r": 1})"
      : R"({"num_tokens": 256, "dim": 512, "depth": 6, "heads": 8, "dim_head": 64, "max_seq_len": 8192, "window_size": 128, "segment_size": 16, "r": 1})");
  std::vector<int> contexts = quick ? std::vector<int>{128, 1024} : std::vector<int>{128, 1024, 8192};
  if (!contexts_arg.empty()) {
    contexts.clear();
    for (const auto& s : split(contexts_arg)) contexts.push_back(std::atoi(s.c_str()));
  }
  std::vector<std::unique_ptr<Model>> models;
  std::vector<std::string> names = split(dtypes);
  for (const auto& name : names) {
    ModelOptions o{default_gemm_backend(), threads};
    o.weight_format = parse_weight_format(name.c_str());
    models.push_back(std::make_unique<Model>(c, init_weights(c, 0), o));
  }
  std::printf("generation, %s, %lld parameters, %d thread(s), backend %s, quantised kernels %s: "
              "ms per new token (median of %d)\n",
              c.to_json().c_str(), static_cast<long long>(count_parameters(c)), threads,
              gemm_backend_name(models[0]->backend()), quant_kernels().name, steps);
  std::printf("%8s %6s %12s %16s %9s\n", "context", "dtype", "cached ms", "full-recompute ms", "speedup");
  for (int ctx : contexts) {
    for (size_t mi = 0; mi < models.size(); ++mi) {
      Model& model = *models[mi];
      std::mt19937 rng(1);
      // The timed steps end exactly at `ctx` tokens, inside max_seq_len.
      std::vector<int32_t> prompt(ctx - steps);
      for (auto& t : prompt) t = rng() % 256;
      IncrementalDecoder dec(model);
      dec.prefill(prompt.data(), prompt.size());
      std::vector<double> cached;
      for (int s = 0; s < steps; ++s) {
        auto t0 = Clock::now();
        dec.step(rng() % 256);
        cached.push_back(bench::ms_since(t0));
      }
      // Full recomputation: what the reference package does for every token.
      std::vector<float> logits(c.num_tokens);
      std::vector<double> full;
      const int full_runs = ctx >= 8192 ? 1 : 3;
      for (int s = 0; s < full_runs; ++s) {
        auto t0 = Clock::now();
        model.forward_last(prompt.data(), prompt.size(), logits.data());
        full.push_back(bench::ms_since(t0));
      }
      const double mc = median(cached), mf = median(full);
      std::printf("%8d %6s %12.2f %16.1f %8.0fx\n", ctx, names[mi].c_str(), mc, mf, mf / mc);
      std::fflush(stdout);
    }
  }
  return 0;
}
