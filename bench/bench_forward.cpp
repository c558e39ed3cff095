// Forward-pass latency and tokens/s of the reference package README's two configurations
// and its train.py model (n = 1024, random weights), for each GEMM backend
// (the builtin one with and without its AVX-512 tile where the CPU has it)
// and 1/2 threads.
// Prints medians of --runs runs (default 5) after one warm-up.
//   build/bench_forward [--quick] [--runs N] [--n N] [--only TEXT] [--threads N]
// --only keeps the rows whose config or backend name contains TEXT (profiling).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bench_timing.h"
#include "kernels/gemm_builtin.h"
#include "kernels/simd.h"
#include "model/model.h"
#include "runtime/thread_pool.h"

using namespace lst;

using bench::median;

int main(int argc, char** argv) {
  int runs = 5, n = 1024, only_threads = 0;
  bool quick = false;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    else if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--n") && i + 1 < argc) n = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) only_threads = std::atoi(argv[++i]);
    else { std::fprintf(stderr, "usage: %s [--quick] [--runs N] [--n N] [--only TEXT] [--threads N]\n", argv[0]); return 2; }
  }
  if (quick) { runs = 2; n = 256; }
  struct Named { const char* name; const char* json; };
  const Named configs[] = {
      {"A non-causal r=256", R"({"num_tokens": 20000, "dim": 512, "depth": 6, "heads": 8, "dim_head": 64, "max_seq_len": 1024, "window_size": 128, "r": 256, "causal": false})"},
      {"B causal s=16 r=1", R"({"num_tokens": 20000, "dim": 512, "depth": 6, "heads": 8, "dim_head": 64, "max_seq_len": 1024, "window_size": 128, "causal": true, "segment_size": 16, "r": 1})"},
      {"train.py byte-level", R"({"num_tokens": 256, "dim": 512, "depth": 8, "heads": 8, "dim_head": 64, "max_seq_len": 1024, "window_size": 128, "causal": true, "segment_size": 16, "r": 1})"},
  };
  struct Variant { GemmBackend backend; const char* name; bool avx512; };
  std::vector<Variant> variants;
  const bool has_avx512 = builtin_gemm_avx512_active();
  if (has_avx512) variants.push_back({GemmBackend::kBuiltin, "builtin/avx512", true});
  variants.push_back({GemmBackend::kBuiltin, has_avx512 ? "builtin/avx2" : "builtin", false});
  if (gemm_backend_available(GemmBackend::kXnnpack)) variants.push_back({GemmBackend::kXnnpack, "xnnpack", true});
  std::printf("forward pass, n=%d, batch 1, median of %d runs (native, %s)\n", n, runs,
              simd::kName);
  std::printf("%-20s %-14s %7s %12s %12s\n", "config", "backend", "threads", "latency ms", "tokens/s");
  std::mt19937 rng(0);
  auto selected = [&](const char* config, const Variant& v, int threads) {
    if (only_threads && threads != only_threads) return false;
    return only.empty() || (std::string(config) + " " + v.name).find(only) != std::string::npos;
  };
  for (const auto& cfg : configs) {
    bool any = false;
    for (const Variant& v : variants) any = any || selected(cfg.name, v, 1) || selected(cfg.name, v, 2);
    if (!any) continue;
    Config c = Config::from_json(cfg.json);
    Weights w = init_weights(c, 0);
    std::vector<int32_t> tokens(n);
    for (auto& t : tokens) t = rng() % c.num_tokens;
    std::vector<float> logits(size_t(n) * c.num_tokens);
    for (const Variant& v : variants) {
      for (int threads : {1, 2}) {
        if (!selected(cfg.name, v, threads)) continue;
        set_builtin_gemm_avx512(v.avx512);
        Model m(c, w, {v.backend, threads});
        set_builtin_gemm_avx512(true);
        m.forward(tokens.data(), nullptr, 1, n, logits.data());  // warm-up
        std::vector<double> ms;
        for (int r = 0; r < runs; ++r) {
          const auto t0 = bench::Clock::now();
          m.forward(tokens.data(), nullptr, 1, n, logits.data());
          ms.push_back(bench::ms_since(t0));
        }
        const double med = median(ms);
        std::printf("%-20s %-14s %7d %12.1f %12.0f\n", cfg.name, v.name, threads,
                    med, n / (med / 1000.0));
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
