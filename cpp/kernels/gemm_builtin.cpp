// Builtin GEMM backend: y[M, N] = x[M, K] · W[N, K]^T + bias.
//
// Packing (once, at construction): W becomes ceil(N / kNR) panels; panel p
// holds output columns [p*kNR, p*kNR + kNR) as K rows of kNR floats
// (K-major, zero-padded past N), so the micro-kernel reads it with unit
// stride. The bias is packed the same way (zero-padded, zeros when absent)
// and is the accumulators' initial value: no extra pass over y.
//
// M >= kMR: Goto-style loops  K block (kKC) -> row block (kMC) -> panel ->
//   kMR-row tile, the micro-kernel gemm_f32_{kMR}x{kNR} keeping
//   kMR x kNRV accumulators in registers; later K blocks accumulate into y.
// M <  kMR: GEMV path, each step streams P panels (M*P*kNRV independent
//   accumulator chains: 8 at M=1 with AVX2, 6 with SIMD128, see kGemvPanels)
//   and one broadcast per row; the whole K at once.
// Threads split the panels (or the row tiles when there are few panels);
// small problems run inline.
#include "kernels/gemm_builtin.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

#include "core/error.h"
#include "kernels/gemm_f32_avx512.h"
#include "kernels/gemm_tile.h"
#include "kernels/simd.h"
#include "runtime/thread_pool.h"

namespace lst {
namespace {

using gemm_detail::kL;
using gemm_detail::kMR;
using gemm_detail::kNR;
using gemm_detail::kNRV;
using gemm_detail::tile;

// Whether new layers may use the AVX-512 tile where the CPU has it
// (set_builtin_gemm_avx512: tests and benches compare the two kernel sets).
std::atomic<bool> g_avx512_allowed{true};

bool avx512_tile_active() {
  return kNR == 16 && g_avx512_allowed.load() && gemm_detail::avx512_f32_kernel_supported();
}

// K block: one panel slice (kKC x kNR floats) is 16 KB, it stays in L1 while
// the row tiles of a row block stream past it.
constexpr size_t kKC = 4096 / kNR;
// Row block: kMC x kKC floats of x (96 KB natively) stay in L2 across panels.
constexpr size_t kMC = 16 * kMR;
// Below this many multiply-adds a call runs on the calling thread only (waking
// the pool costs tens of microseconds; 2^19 MACs take ~10 us natively, ~20 us in wasm).
constexpr double kParallelMacs = 1 << 19;

// ---------------------------------------------------------------- named kernels
// Panels per GEMV step at M == 1: kGemvPanels * kNRV independent accumulator
// chains. 8 with AVX2. On 128-bit targets 6: V8 (x64) hoists all of a step's
// loads, so 8 chains need 8 accumulators + 8 loads + broadcast + temp > 15
// xmm registers and spill an accumulator through the stack, which puts a
// store-forward on the chain (measured in Node 20: 8 chains ~56% of peak,
// 6 chains ~78%). With mul and add separate (no FMA in SIMD128) a chain's
// latency is one f32x4.add, so 6 chains still cover 2 adds/cycle x 3 cycles.
#if LST_SIMD_AVX2
#define LST_GEMM_UKERNEL gemm_f32_6x16_avx2
#define LST_GEMV_UKERNEL gemv_f32_1x64_avx2
constexpr int kGemvPanels = 4;
#elif LST_SIMD_WASM
#define LST_GEMM_UKERNEL gemm_f32_4x8_simd128
#define LST_GEMV_UKERNEL gemv_f32_1x24_simd128
constexpr int kGemvPanels = 3;
#elif LST_SIMD_SSE2
#define LST_GEMM_UKERNEL gemm_f32_4x8_sse2
#define LST_GEMV_UKERNEL gemv_f32_1x24_sse2
constexpr int kGemvPanels = 3;
#else
#define LST_GEMM_UKERNEL gemm_f32_4x2_scalar
#define LST_GEMV_UKERNEL gemv_f32_1x6_scalar
constexpr int kGemvPanels = 3;
#endif
#define LST_STR2(x) #x
#define LST_STR(x) LST_STR2(x)
static_assert(kGemvPanels * kNR == (kL == 8 ? 64 : kL == 4 ? 24 : 6) &&
                  kMR * 1 == (kL == 8 ? 6 : 4),
              "kernel names must match the tiling");

// Panels per step for the small-M path (M < kMR rows): keep M * P * kNRV
// accumulators + P * kNRV loads within the register file.
constexpr int small_m_panels(int m) {
  return m == 1 ? kGemvPanels : (m == 2 || (m == 3 && kL == 8)) ? 2 : 1;
}

// x tile (kMR rows, row stride lda, K contiguous) times one packed panel slice.
void LST_GEMM_UKERNEL(size_t kc, const float* a, size_t lda, const float* panel,
                      const float* init, size_t ldi, float* c, size_t ldc) {
  tile<kMR, 1, kNRV>(kc, a, lda, 1, panel, kNR, 0, init, ldi, c, ldc);
}

// One x row times kGemvPanels packed panels (panel stride panel_stride).
void LST_GEMV_UKERNEL(size_t K, const float* a, const float* panels, size_t panel_stride,
                      const float* bias, float* c) {
  tile<1, kGemvPanels, kNRV>(K, a, 0, 1, panels, kNR, panel_stride, bias, 0, c, 0);
}

// MR x (P panels) tile; P*kNR columns of y, of which `ncols` exist (the last
// group of panels may stop short of N): then it goes through a stack tile.
template <int MR, int P>
inline void packed_tile(size_t kc, const float* a, size_t lda, const float* panels,
                        size_t panel_stride, bool first, const float* bias, float* c, size_t ldc,
                        size_t ncols) {
  constexpr size_t kCols = static_cast<size_t>(P) * kNR;
  if (ncols == kCols) {
    if constexpr (MR == kMR && P == 1) {
      LST_GEMM_UKERNEL(kc, a, lda, panels, first ? bias : c, first ? 0 : ldc, c, ldc);
    } else if constexpr (MR == 1 && P == kGemvPanels) {
      if (first) {
        LST_GEMV_UKERNEL(kc, a, panels, panel_stride, bias, c);
      } else {
        tile<MR, P, kNRV>(kc, a, lda, 1, panels, kNR, panel_stride, c, ldc, c, ldc);
      }
    } else {
      tile<MR, P, kNRV>(kc, a, lda, 1, panels, kNR, panel_stride, first ? bias : c,
                        first ? 0 : ldc, c, ldc);
    }
    return;
  }
  alignas(64) float tmp[MR * kCols];
  if (!first)
    for (int r = 0; r < MR; ++r) std::memcpy(tmp + r * kCols, c + r * ldc, ncols * sizeof(float));
  tile<MR, P, kNRV>(kc, a, lda, 1, panels, kNR, panel_stride, first ? bias : tmp,
                    first ? 0 : kCols, tmp, kCols);
  for (int r = 0; r < MR; ++r) std::memcpy(c + r * ldc, tmp + r * kCols, ncols * sizeof(float));
}

// packed_tile for a run-time row count mr in [1, kMR].
template <int P, int MR = kMR>
inline void packed_tile_rows(int mr, size_t kc, const float* a, size_t lda, const float* panels,
                             size_t panel_stride, bool first, const float* bias, float* c,
                             size_t ldc, size_t ncols) {
  if constexpr (MR >= 1) {
    if (mr == MR) {
      packed_tile<MR, P>(kc, a, lda, panels, panel_stride, first, bias, c, ldc, ncols);
    } else {
      packed_tile_rows<P, MR - 1>(mr, kc, a, lda, panels, panel_stride, first, bias, c, ldc,
                                  ncols);
    }
  } else {
    LST_FAIL("gemm: bad tile height ", mr);
  }
}

struct AlignedDelete {
  void operator()(float* p) const { ::operator delete(p, std::align_val_t(64)); }
};
using FloatBuffer = std::unique_ptr<float[], AlignedDelete>;

FloatBuffer alloc_floats(size_t n) {
  return FloatBuffer(
      static_cast<float*>(::operator new(std::max<size_t>(n, 1) * sizeof(float), std::align_val_t(64))));
}

// ---------------------------------------------------------------- the layer
class BuiltinLinear final : public Linear {
 public:
  BuiltinLinear(const float* W, const float* bias, size_t in, size_t out, ThreadPool& pool,
                std::shared_ptr<std::mutex> pool_mu)
      : Linear(in, out), pool_(pool), pool_mu_(std::move(pool_mu)),
        avx512_(avx512_tile_active()) {
    panels_ = (out + kNR - 1) / kNR;
    w_ = alloc_floats(panels_ * in * kNR);  // (panels, K, kNR)
    b_ = alloc_floats(panels_ * kNR);       // (panels * kNR)
    for (size_t p = 0; p < panels_; ++p) {
      float* dst = w_.get() + p * in * kNR;
      for (size_t j = 0; j < static_cast<size_t>(kNR); ++j) {
        size_t n = p * kNR + j;
        if (n < out) {
          const float* row = W + n * in;
          for (size_t k = 0; k < in; ++k) dst[k * kNR + j] = row[k];
        } else {
          for (size_t k = 0; k < in; ++k) dst[k * kNR + j] = 0.0f;
        }
      }
    }
    for (size_t n = 0; n < panels_ * kNR; ++n) b_[n] = (bias && n < out) ? bias[n] : 0.0f;
  }

  void run(const float* x, size_t M, float* y) override {
    if (M == 0) return;
    LST_CHECK(x != nullptr && y != nullptr, "Linear::run: null x or y (M=", M, ")");
    // The pool runs one job at a time: when another layer holds it, run inline.
    std::unique_lock<std::mutex> lock(*pool_mu_, std::try_to_lock);
    int threads = lock.owns_lock() ? pool_.num_threads() : 1;
    if (static_cast<double>(M) * out_ * in_ < kParallelMacs) threads = 1;

    if (M < static_cast<size_t>(kMR)) {
      run_small(x, M, y, threads);
      return;
    }
    const size_t row_tiles = (M + kMR - 1) / kMR;
    const bool split_panels = panels_ >= 4 * static_cast<size_t>(threads) || row_tiles < panels_;
    if (split_panels) {
      parallel(threads, panels_, [&](size_t p0, size_t p1) { gemm_block(x, 0, M, p0, p1, y); });
    } else {
      parallel(threads, row_tiles, [&](size_t t0, size_t t1) {
        gemm_block(x, t0 * kMR, std::min(M, t1 * kMR), 0, panels_, y);
      });
    }
  }

 private:
  template <typename F>
  void parallel(int threads, size_t units, const F& body) {
    if (threads <= 1 || units <= 1) {
      body(0, units);
    } else {
      pool_.parallel_for(units, body, 1);
    }
  }

  size_t ncols(size_t p, size_t np) const { return std::min(np * kNR, out_ - p * kNR); }
  const float* panel(size_t p) const { return w_.get() + p * in_ * kNR; }

  // Rows [m0, m1) x panels [p0, p1), m1 - m0 any size.
  void gemm_block(const float* x, size_t m0, size_t m1, size_t p0, size_t p1, float* y) const {
    const size_t K = in_, N = out_;
    const size_t nkb = std::max<size_t>(1, (K + kKC - 1) / kKC);
    const size_t kcb = (K + nkb - 1) / nkb;
    for (size_t k0 = 0; k0 < K; k0 += kcb) {
      const size_t kc = std::min(kcb, K - k0);
      const bool first = k0 == 0;
      for (size_t mb = m0; mb < m1; mb += kMC) {
        const size_t me = std::min(m1, mb + kMC);
        for (size_t p = p0; p < p1;) {
          // AVX-512: pairs of whole panels, 12 rows at a time (the same bits
          // as the AVX2 tiles, which take the rest).
          if (avx512_ && p + 1 < p1 && ncols(p, 2) == 2 * size_t(kNR)) {
            size_t i = mb;
            for (; i + gemm_detail::kAvx512MR <= me; i += gemm_detail::kAvx512MR) {
              float* c = y + i * N + p * kNR;
              gemm_detail::gemm_f32_12x32_avx512(kc, x + i * K + k0, K, panel(p) + k0 * kNR,
                                                 in_ * kNR, first ? b_.get() + p * kNR : c,
                                                 first ? 0 : N, c, N);
            }
            for (size_t q = p; q < p + 2; ++q) row_tiles(x, i, me, q, k0, kc, first, y);
            p += 2;
          } else {
            row_tiles(x, mb, me, p, k0, kc, first, y);
            p += 1;
          }
        }
      }
    }
  }

  // Rows [i0, i1) of panel p, K slice [k0, k0 + kc), in kMR-row tiles.
  void row_tiles(const float* x, size_t i0, size_t i1, size_t p, size_t k0, size_t kc,
                 bool first, float* y) const {
    const size_t K = in_, N = out_;
    const float* bp = panel(p) + k0 * kNR;
    const size_t nc = ncols(p, 1);
    for (size_t i = i0; i < i1; i += kMR) {
      int mr = static_cast<int>(std::min<size_t>(kMR, i1 - i));
      packed_tile_rows<1>(mr, kc, x + i * K + k0, K, bp, 0, first, b_.get() + p * kNR,
                          y + i * N + p * kNR, N, nc);
    }
  }

  // M < kMR rows: P panels per step, whole K.
  template <int MR, int P>
  void gemv_groups(const float* x, size_t g0, size_t g1, float* y) const {
    const size_t K = in_, N = out_;
    for (size_t g = g0; g < g1; ++g) {
      const size_t p = g * P, np = std::min<size_t>(P, panels_ - p);
      if (np == static_cast<size_t>(P)) {
        packed_tile<MR, P>(K, x, K, panel(p), K * kNR, true, b_.get() + p * kNR, y + p * kNR, N,
                           ncols(p, P));
      } else {
        for (size_t q = p; q < p + np; ++q)
          packed_tile<MR, 1>(K, x, K, panel(q), K * kNR, true, b_.get() + q * kNR, y + q * kNR, N,
                             ncols(q, 1));
      }
    }
  }

  template <int MR, int P>
  void run_gemv(const float* x, float* y, int threads) {
    const size_t groups = (panels_ + P - 1) / P;
    parallel(threads, groups, [&](size_t g0, size_t g1) { gemv_groups<MR, P>(x, g0, g1, y); });
  }

  template <int MR = 1>
  void run_small(const float* x, size_t M, float* y, int threads) {
    if constexpr (MR < kMR) {
      if (M == MR) {
        run_gemv<MR, small_m_panels(MR)>(x, y, threads);
      } else {
        run_small<MR + 1>(x, M, y, threads);
      }
    } else {
      LST_FAIL("gemm: small-M path with M=", M);
    }
  }

  ThreadPool& pool_;
  std::shared_ptr<std::mutex> pool_mu_;
  const bool avx512_;  // the AVX-512 tile for pairs of panels (gemm_f32_avx512.h)
  size_t panels_ = 0;
  FloatBuffer w_, b_;
};

class BuiltinContext final : public GemmContext {
 public:
  explicit BuiltinContext(ThreadPool& pool) : GemmContext(pool) {}
  GemmBackend backend() const override { return GemmBackend::kBuiltin; }
  using GemmContext::make_linear;
  std::unique_ptr<Linear> make_linear(const float* W, const float* bias, size_t in,
                                      size_t out) override {
    LST_CHECK(in > 0 && out > 0, "Linear: in and out features must be > 0, got in=", in,
              " out=", out);
    LST_CHECK(W != nullptr, "Linear: null weight (", out, " x ", in, ")");
    return std::make_unique<BuiltinLinear>(W, bias, in, out, pool_, pool_mu_);
  }
};

}  // namespace

std::unique_ptr<GemmContext> make_builtin_gemm_context(ThreadPool& pool) {
  return std::make_unique<BuiltinContext>(pool);
}

const char* builtin_gemm_kernel_names() {
  if (avx512_tile_active())
    return "gemm_f32_12x32_avx512 + " LST_STR(LST_GEMM_UKERNEL) " + " LST_STR(LST_GEMV_UKERNEL);
  return LST_STR(LST_GEMM_UKERNEL) " + " LST_STR(LST_GEMV_UKERNEL);
}

void set_builtin_gemm_avx512(bool allowed) { g_avx512_allowed.store(allowed); }

bool builtin_gemm_avx512_active() { return avx512_tile_active(); }

}  // namespace lst
