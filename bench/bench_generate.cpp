// Milliseconds per new token at several context lengths, with the
// incremental cache and with full recomputation (the reference package's generate), for a
// byte-level model (dim 512, depth 6, heads 8, max_seq_len 8192).
//   build/bench_generate [--quick] [--threads N] [--steps N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "model/incremental_decoder.h"

using namespace lst;
using Clock = std::chrono::steady_clock;

static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int main(int argc, char** argv) {
  int threads = 1, steps = 16;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--steps") && i + 1 < argc) steps = std::atoi(argv[++i]);
  }
  Config c = Config::from_json(quick
      ? R"({"num_tokens": 256, "dim": 128, "depth": 2, "heads": 4, "dim_head": 32, "max_seq_len": 1024, "window_size": 128, "segment_size": 16, "r": 1})"
      : R"({"num_tokens": 256, "dim": 512, "depth": 6, "heads": 8, "dim_head": 64, "max_seq_len": 8192, "window_size": 128, "segment_size": 16, "r": 1})");
  std::vector<int> contexts = quick ? std::vector<int>{128, 1024} : std::vector<int>{128, 1024, 8192};
  Model model(c, init_weights(c, 0), {default_gemm_backend(), threads});
  std::printf("generation, %s, %d thread(s), backend %s: ms per new token (median of %d)\n",
              c.to_json().c_str(), threads, gemm_backend_name(model.backend()), steps);
  std::printf("%8s %12s %16s %9s\n", "context", "cached ms", "full-recompute ms", "speedup");
  std::mt19937 rng(1);
  for (int ctx : contexts) {
    // The timed steps end exactly at `ctx` tokens, inside max_seq_len.
    std::vector<int32_t> prompt(ctx - steps);
    for (auto& t : prompt) t = rng() % 256;
    IncrementalDecoder dec(model);
    dec.prefill(prompt.data(), prompt.size());
    std::vector<double> cached;
    for (int s = 0; s < steps; ++s) {
      auto t0 = Clock::now();
      dec.step(rng() % 256);
      cached.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    // Full recomputation: what the reference package does for every token.
    std::vector<float> logits(c.num_tokens);
    std::vector<double> full;
    const int full_runs = ctx >= 8192 ? 1 : 3;
    for (int s = 0; s < full_runs; ++s) {
      auto t0 = Clock::now();
      model.forward_last(prompt.data(), prompt.size(), logits.data());
      full.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    const double mc = median(cached), mf = median(full);
    std::printf("%8d %12.2f %16.1f %8.0fx\n", ctx, mc, mf, mf / mc);
    std::fflush(stdout);
  }
  return 0;
}
