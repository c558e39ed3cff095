// GEMM benchmark: the SIMD multiply-add peak (register-only loop) and every GEMM
// backend at the model's shapes, as GFLOPS (median of >= 5 runs) and as a
// fraction of that peak. Builds natively and under Emscripten (Node).
// The peak is that of simd.h's vector width (AVX2 natively): the builtin
// GEMM's AVX-512 tile and XNNPACK's AVX-512 kernels may exceed it.
//   bench_gemm [--quick]
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bench_timing.h"
#include "kernels/gemm.h"
#include "kernels/gemm_builtin.h"
#include "kernels/simd.h"
#include "runtime/thread_pool.h"

namespace {

using bench::Clock;
using bench::seconds_since;

volatile float g_sink;
volatile float g_one = 0.999999f, g_eps = 1e-6f;

// 12 independent chains acc = acc * m + c with simd.h's madd, the operation
// the GEMM tile runs (SIMD128: a mul, then an add; the relaxed build:
// f32x4.relaxed_madd; natively an FMA), run
// in chunks through a function pointer: in V8 a wasm function only gets its
// optimised (TurboFan) code when it is entered again (no on-stack
// replacement), and wasm-opt would inline a direct call.
template <bool kFused>
void peak_chunk(float* state, size_t iters) {
  using namespace lst::simd;
  constexpr int kChains = 12;
  vf acc[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = load(state + j * kLanes);
  const vf m = splat(g_one), c = splat(g_eps);
  for (size_t it = 0; it < iters; ++it)
    for (int j = 0; j < kChains; ++j) acc[j] = kFused ? madd(acc[j], m, c) : add(mul(acc[j], m), c);
  for (int j = 0; j < kChains; ++j) store(state + j * kLanes, acc[j]);
}
// madd (the GEMM tile's operation) and a separate mul + add: in the relaxed
// build the two differ, and their ratio is what relaxed_madd can gain on this CPU.
void (*volatile g_peak_chunk)(float*, size_t) = peak_chunk<true>;
void (*volatile g_peak_chunk_mul_add)(float*, size_t) = peak_chunk<false>;

constexpr size_t kPeakChunk = 4096;

// Runs `chunks` chunks; returns the flops done.
double peak_loop(size_t chunks, bool fused = true) {
  float state[12 * lst::simd::kLanes];
  for (int j = 0; j < 12 * lst::simd::kLanes; ++j) state[j] = 1.0f + 0.001f * j;
  for (size_t i = 0; i < chunks; ++i) (fused ? g_peak_chunk : g_peak_chunk_mul_add)(state, kPeakChunk);
  g_sink = state[7];
  return 2.0 * 12 * lst::simd::kLanes * double(kPeakChunk) * double(chunks);
}

// Peak GFLOPS of `threads` threads each running the register loop.
double measure_peak(lst::ThreadPool& pool, int threads, bool quick, bool fused = true) {
  size_t chunks = 16;
  // Warm up for >= 1 s (0.05 s quick): browsers tier a wasm function up to
  // optimised code later than Node does.
  auto warm = Clock::now();
  while (seconds_since(warm) < (quick ? 0.05 : 1.0)) peak_loop(chunks, fused);
  for (;;) {  // calibrate to >= 20 ms (5 ms quick) per sample
    auto t0 = Clock::now();
    peak_loop(chunks, fused);
    if (seconds_since(t0) > (quick ? 0.005 : 0.02)) break;
    chunks *= 2;
  }
  std::vector<double> samples;
  for (int s = 0; s < (quick ? 3 : 5); ++s) {
    auto t0 = Clock::now();
    pool.parallel_for(
        static_cast<size_t>(threads), [&](size_t, size_t) { peak_loop(chunks, fused); }, 1);
    double t = seconds_since(t0);
    samples.push_back(threads * 2.0 * 12 * lst::simd::kLanes * double(kPeakChunk) * double(chunks) /
                      t * 1e-9);
  }
  return *std::max_element(samples.begin(), samples.end());  // a bound: the best sample
}

struct Shape {
  size_t M, K, N;
};

struct Result {
  double gflops, best_gflops, gbytes;  // median and best run; GB/s of weights at the median
};

Result bench_linear(lst::GemmContext& ctx, const Shape& s, bool quick) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> W(s.N * s.K), b(s.N), x(s.M * s.K), y(s.M * s.N);
  for (auto& v : W) v = d(rng);
  for (auto& v : b) v = d(rng);
  for (auto& v : x) v = d(rng);
  auto layer = ctx.make_linear(W.data(), b.data(), s.K, s.N);
  const bench::CallTime ct = bench::time_call([&] { layer->run(x.data(), s.M, y.data()); }, quick);
  const double t = ct.median, t_best = ct.best;
  g_sink = y[0];
  const double flops = 2.0 * s.M * s.N * s.K;
  return {flops / t * 1e-9, flops / t_best * 1e-9, 4.0 * s.N * s.K / t * 1e-9};
}

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
  auto t_start = Clock::now();
  std::vector<int> thread_counts{1};
  if (lst::ThreadPool::max_supported_threads() >= 2) thread_counts.push_back(2);

  std::printf("SIMD: %s (%d lanes)   builtin kernels: %s\n", lst::simd::kName, lst::simd::kLanes,
              lst::builtin_gemm_kernel_names());
  std::vector<double> peak(3, 0.0);
  for (int t : thread_counts) {
    lst::ThreadPool pool(t);
    peak[t] = measure_peak(pool, t, quick);
    std::printf("madd peak, %d thread%s: %8.1f GFLOPS (12 chains x %d lanes%s)\n", t,
                t > 1 ? "s" : " ", peak[t], lst::simd::kLanes, t > 1 ? " per thread" : "");
    if (t == 1) {
      const double mul_add = measure_peak(pool, 1, quick, false);
      std::printf("mul+add peak, 1 thread : %8.1f GFLOPS (madd / mul+add: %.2fx)\n", mul_add,
                  peak[t] / mul_add);
    }
  }

  std::vector<Shape> shapes = {{1024, 512, 512}, {1024, 512, 2048}, {1024, 2048, 512},
                               {64, 512, 512},   {64, 512, 2048},   {64, 2048, 512},
                               {1, 512, 2048},   {1, 2048, 512}};
  // The builtin backend with and without its AVX-512 tile where the CPU has
  // one (the same bits; gemm_f32_avx512.h), then XNNPACK.
  struct Variant {
    lst::GemmBackend backend;
    const char* name;
    bool avx512;
  };
  std::vector<Variant> variants;
  if (lst::builtin_gemm_avx512_active()) variants.push_back({lst::GemmBackend::kBuiltin, "builtin/avx512", true});
  variants.push_back({lst::GemmBackend::kBuiltin, lst::builtin_gemm_avx512_active() ? "builtin/avx2" : "builtin", false});
  if (lst::gemm_backend_available(lst::GemmBackend::kXnnpack))
    variants.push_back({lst::GemmBackend::kXnnpack, "xnnpack", false});

  std::printf("\n%-14s %3s %5s %5s %5s %9s %7s %9s %9s\n", "backend", "thr", "M", "K", "N",
              "GFLOPS", "%peak", "best", "W GB/s");
  for (const Variant& v : variants)
    for (int t : thread_counts) {
      lst::ThreadPool pool(t);
      lst::set_builtin_gemm_avx512(v.avx512);
      auto ctx = lst::make_gemm_context(v.backend, pool);
      for (const auto& s : shapes) {
        Result r = bench_linear(*ctx, s, quick);
        std::printf("%-14s %3d %5zu %5zu %5zu %9.1f %6.1f%% %9.1f %9.1f\n", v.name, t, s.M, s.K,
                    s.N, r.gflops, 100.0 * r.gflops / peak[t], r.best_gflops, r.gbytes);
        std::fflush(stdout);
      }
      lst::set_builtin_gemm_avx512(true);
    }
  std::printf("\n(GFLOPS: median of the runs, %%peak: of the best madd peak sample with the "
              "same thread count, best: fastest run, W GB/s: weight bytes per second at the "
              "median, the bound at M=1)\ntotal %.1f s\n",
              seconds_since(t_start));
  return 0;
}
