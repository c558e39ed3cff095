// Forward-pass latency and tokens/s of the reference package README's two configurations
// (n = 1024, random weights), for each GEMM backend and 1/2 threads.
// Prints medians of --runs runs (default 5) after one warm-up.
//   build/bench_forward [--quick] [--runs N] [--n N]
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bench_timing.h"
#include "kernels/simd.h"
#include "model/model.h"
#include "runtime/thread_pool.h"

using namespace lst;

using bench::median;

int main(int argc, char** argv) {
  int runs = 5, n = 1024;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    else if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--n") && i + 1 < argc) n = std::atoi(argv[++i]);
  }
  if (quick) { runs = 2; n = 256; }
  struct Named { const char* name; const char* json; };
  const Named configs[] = {
      {"A non-causal r=256", R"({"num_tokens": 20000, "dim": 512, "depth": 6, "heads": 8, "dim_head": 64, "max_seq_len": 1024, "window_size": 128, "r": 256, "causal": false})"},
      {"B causal s=16 r=1", R"({"num_tokens": 20000, "dim": 512, "depth": 6, "heads": 8, "dim_head": 64, "max_seq_len": 1024, "window_size": 128, "causal": true, "segment_size": 16, "r": 1})"},
  };
  std::printf("forward pass, n=%d, batch 1, median of %d runs (native, %s)\n", n, runs,
              simd::kName);
  std::printf("%-20s %-8s %7s %12s %12s\n", "config", "backend", "threads", "latency ms", "tokens/s");
  std::mt19937 rng(0);
  for (const auto& cfg : configs) {
    Config c = Config::from_json(cfg.json);
    Weights w = init_weights(c, 0);
    std::vector<int32_t> tokens(n);
    for (auto& t : tokens) t = rng() % c.num_tokens;
    std::vector<float> logits(size_t(n) * c.num_tokens);
    for (GemmBackend be : {GemmBackend::kBuiltin, GemmBackend::kXnnpack}) {
      if (!gemm_backend_available(be)) continue;
      for (int threads : {1, 2}) {
        Model m(c, w, {be, threads});
        m.forward(tokens.data(), nullptr, 1, n, logits.data());  // warm-up
        std::vector<double> ms;
        for (int r = 0; r < runs; ++r) {
          const auto t0 = bench::Clock::now();
          m.forward(tokens.data(), nullptr, 1, n, logits.data());
          ms.push_back(bench::ms_since(t0));
        }
        const double med = median(ms);
        std::printf("%-20s %-8s %7d %12.1f %12.0f\n", cfg.name, gemm_backend_name(be), threads,
                    med, n / (med / 1000.0));
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
