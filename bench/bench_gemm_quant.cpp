// Quantised GEMV / GEMM benchmark: every kernel set this CPU runs (and the
// f32 builtin GEMM beside them) at the model's shapes, single-threaded, as
// GFLOPS and weight GB/s (the bound of a GEMV), medians. In wasm it also
// measures the two int8 strategies against each other: int8 x int8 with
// i32x4.dot_i16x8_s (activations quantised per block) against int8 widened
// to f32 with an f32 multiply-add.
//   bench_gemm_quant [--quick]
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "bench_timing.h"
#include "kernels/gemm.h"
#include "kernels/gemm_quant.h"
#include "io/safetensors.h"
#include "kernels/weight_matrix.h"
#include "runtime/thread_pool.h"

namespace {

volatile float g_sink;

// Seconds per call of f (the median sample).
double time_call(const std::function<void()>& f, bool quick) { return bench::time_call(f, quick).median; }

struct Shape {
  size_t M, K, N;
};

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      std::fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
      return 2;
    }
  }
  const std::vector<Shape> shapes = {{1, 512, 2048}, {1, 2048, 512}, {1, 512, 1536},
                                     {1, 512, 256},  {1024, 512, 2048}, {1024, 2048, 512}};
  std::printf("quantised kernels (run-time choice: %s), 1 thread\n", lst::quant_kernels().name);
  std::printf("%-30s %5s %5s %5s %9s %9s %9s\n", "kernel", "M", "K", "N", "ms", "GFLOPS", "W GB/s");
  lst::ThreadPool pool(1);
  auto ctx = lst::make_gemm_context(lst::GemmBackend::kBuiltin, pool);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  for (const Shape& s : shapes) {
    std::vector<float> W(s.N * s.K), x(s.M * s.K), y(s.M * s.N), b(s.N);
    for (auto& v : W) v = d(rng);
    for (auto& v : x) v = d(rng);
    for (auto& v : b) v = d(rng);
    const double flops = 2.0 * s.M * s.N * s.K;
    auto row = [&](const char* name, double sec, double wbytes) {
      std::printf("%-30s %5zu %5zu %5zu %9.3f %9.1f %9.1f\n", name, s.M, s.K, s.N, sec * 1e3,
                  flops / sec * 1e-9, wbytes / sec * 1e-9);
      std::fflush(stdout);
    };
    {
      auto lin = ctx->make_linear(W.data(), b.data(), s.K, s.N);
      row("f32 builtin", time_call([&] { lin->run(x.data(), s.M, y.data()); }, quick), 4.0 * s.N * s.K);
    }
    auto q8 = lst::WeightMatrix::from_f32(W.data(), s.N, s.K, lst::WeightFormat::kQ8);
    std::vector<uint16_t> halves(W.size());
    for (size_t i = 0; i < W.size(); ++i) halves[i] = lst::f32_to_f16(W[i]);
    auto f16 = lst::WeightMatrix::from_f16(halves.data(), s.N, s.K);
    const size_t nb = q8.blocks();
    std::vector<int8_t> xq(s.M * nb * 32);
    std::vector<float> xs(s.M * nb);
    for (const lst::QuantKernels* k : lst::quant_kernel_sets()) {
      if (std::strcmp(k->name, "q8_scalar + f16_scalar") == 0 && s.M > 1) continue;  // too slow
      char name[64];
      // q8 with the activations' quantisation, as the Linear runs it.
      std::snprintf(name, sizeof name, "%.*s", static_cast<int>(std::strcspn(k->name, " ")), k->name);
      row(name, time_call([&] {
            lst::quantize_q8_rows(x.data(), s.M, s.K, xq.data(), xs.data());
            k->q8(s.M, 0, s.N, nb, xq.data(), xs.data(), q8.q8(), q8.scales(), b.data(), y.data(), s.N);
          }, quick),
          double(q8.bytes()));
      if (k->q8_alt) {
        row(k->q8_alt_name, time_call([&] {
              lst::quantize_q8_rows(x.data(), s.M, s.K, xq.data(), xs.data());
              k->q8_alt(s.M, 0, s.N, nb, xq.data(), xs.data(), q8.q8(), q8.scales(), b.data(), y.data(), s.N);
            }, quick),
            double(q8.bytes()));
      }
      if (k->q8_f32) {
        std::snprintf(name, sizeof name, "%s (q8 widened to f32)", std::strstr(k->name, "f16") ? "q8f32" : "?");
        row(name, time_call([&] {
              k->q8_f32(s.M, 0, s.N, s.K, x.data(), q8.q8(), q8.scales(), b.data(), y.data(), s.N);
            }, quick),
            double(q8.bytes()));
      }
      std::snprintf(name, sizeof name, "%s", std::strstr(k->name, "+ ") + 2);
      row(name, time_call([&] {
            k->f16(s.M, 0, s.N, s.K, x.data(), f16.f16(), b.data(), y.data(), s.N);
          }, quick),
          double(f16.bytes()));
    }
    g_sink = y[0];
  }
  std::printf("(ms and GFLOPS: median; W GB/s: weight bytes read per second, the bound at M = 1)\n");
  return 0;
}
