// gemm_f32_strided: Goto-style blocking on the gemm_tile.h register tile.
//   column block (kNC) -> K block (kKC): pack op(B) into kNR-wide K-major
//   panels (zero-padded past N) -> row block (kMC) -> panel -> kMR-row tile.
// op(A) is read in place through (row, k) strides (lda, 1) or (1, lda): the
// tile broadcasts one A element per row and k, so no packing is needed
// (packing a transposed A measured slower for the dW products).
// Threads take contiguous ranges of panels (each packs its own columns), or
// of row tiles when N is narrow; each has its own slice of the scratch.
#include "kernels/gemm_strided.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "core/error.h"
#include "kernels/gemm_tile.h"
#include "runtime/thread_pool.h"

namespace lst {
namespace {

using gemm_detail::tile;

// The micro-kernel: gemm_f32_8x32_avx512 where the CPU has AVX-512 (native
// builds), else the builtin GEMM's own tile, gemm_f32_6x16_avx2 /
// gemm_f32_4x8_simd128 (gemm_tile.h).
#if LST_GEMM_AVX512
using Vec = gemm_detail::Avx512Vec;
constexpr int kMR = 8;
#else
using Vec = gemm_detail::SimdVec;
constexpr int kMR = gemm_detail::kMR;
#endif
constexpr int kNRV = 2;
constexpr int kNR = kNRV * Vec::kLanes;  // panel width

constexpr size_t kKC = 256;         // K block: a packed panel slice is kKC x kNR (16-32 KB) -> L1
constexpr size_t kNC = 256;         // columns per packed block: kKC x kNC floats (256 KB) -> L2
constexpr size_t kMC = 16 * kMR;    // rows of op(A) reused across the block's panels
constexpr size_t kPanelsPerBlock = kNC / kNR;
// Below this many multiply-adds the call runs on the calling thread only.
constexpr double kParallelMacs = 1 << 19;
static_assert(kNC % kNR == 0, "column block must hold whole panels");

// tile<mr, 1, kNRV> for a run-time row count mr in [1, kMR].
template <int MR = kMR>
void tile_rows(int mr, size_t kc, const float* a, size_t a_rs, size_t a_ks, const float* panel,
               const float* init, size_t ldi, float* c, size_t ldc) {
  if constexpr (MR >= 1) {
    if (mr == MR) {
      tile<MR, 1, kNRV, Vec>(kc, a, a_rs, a_ks, panel, kNR, 0, init, ldi, c, ldc);
    } else {
      tile_rows<MR - 1>(mr, kc, a, a_rs, a_ks, panel, init, ldi, c, ldc);
    }
  } else {
    LST_FAIL("gemm_f32_strided: bad tile height ", mr);
  }
}

// panels (np, kc, kNR) <- op(B)[k0 : k0 + kc, j0 : j0 + np*kNR), zero past N.
void pack_b(float* panels, size_t np, size_t kc, const float* B, size_t ldb, bool trans_b,
            size_t k0, size_t j0, size_t N) {
  for (size_t q = 0; q < np; ++q) {
    float* dst = panels + q * kc * kNR;
    const size_t j = j0 + q * kNR, nc = std::min<size_t>(kNR, N - j);
    if (!trans_b) {  // op(B)(k, j) = B[k*ldb + j]: rows copy as they are
      for (size_t k = 0; k < kc; ++k) {
        const float* src = B + (k0 + k) * ldb + j;
        float* d = dst + k * kNR;
        if (nc == size_t(kNR)) {
          for (int v = 0; v < kNRV; ++v)
            Vec::store(d + v * Vec::kLanes, Vec::load(src + v * Vec::kLanes));
        } else {
          std::memcpy(d, src, nc * sizeof(float));
          for (size_t t = nc; t < size_t(kNR); ++t) d[t] = 0.0f;
        }
      }
    } else {  // op(B)(k, j) = B[j*ldb + k]: each source row becomes a column
      for (size_t t = 0; t < size_t(kNR); ++t) {
        if (t < nc) {
          const float* src = B + (j + t) * ldb + k0;
          for (size_t k = 0; k < kc; ++k) dst[k * kNR + t] = src[k];
        } else {
          for (size_t k = 0; k < kc; ++k) dst[k * kNR + t] = 0.0f;
        }
      }
    }
  }
}

struct Problem {
  bool trans_a, trans_b;
  size_t M, N, K;
  const float* A;
  size_t lda;
  const float* B;
  size_t ldb;
  float* C;
  size_t ldc;
  bool accumulate;
};

// Rows [m0, m1) x panels [p0, p1) of C, with one thread's scratch.
void gemm_part(const Problem& g, size_t m0, size_t m1, size_t p0, size_t p1, float* scratch) {
  alignas(64) float edge[kMR * kNR];  // a tile whose panel stops short of N
  for (size_t jb = p0; jb < p1; jb += kPanelsPerBlock) {
    const size_t np = std::min(p1, jb + kPanelsPerBlock) - jb;
    for (size_t k0 = 0; k0 < g.K; k0 += kKC) {
      const size_t kc = std::min(kKC, g.K - k0);
      const bool first = k0 == 0 && !g.accumulate;  // C not read yet
      pack_b(scratch, np, kc, g.B, g.ldb, g.trans_b, k0, jb * kNR, g.N);
      // op(A)(i, k) = A[i*a_rs + k*a_ks], read in place
      const size_t a_rs = g.trans_a ? 1 : g.lda, a_ks = g.trans_a ? g.lda : 1;
      const float* Ak = g.A + k0 * a_ks;
      for (size_t mb = m0; mb < m1; mb += kMC) {
        const size_t me = std::min(m1, mb + kMC);
        for (size_t q = 0; q < np; ++q) {
          const float* panel = scratch + q * kc * kNR;
          const size_t j = (jb + q) * kNR, nc = std::min<size_t>(kNR, g.N - j);
          for (size_t i = mb; i < me; i += kMR) {
            const int mr = static_cast<int>(std::min<size_t>(kMR, me - i));
            const float* a = Ak + i * a_rs;
            float* c = g.C + i * g.ldc + j;
            if (nc == size_t(kNR)) {
              tile_rows(mr, kc, a, a_rs, a_ks, panel, first ? nullptr : c, g.ldc, c, g.ldc);
            } else {
              if (!first)
                for (int r = 0; r < mr; ++r)
                  std::memcpy(edge + r * kNR, c + r * g.ldc, nc * sizeof(float));
              tile_rows(mr, kc, a, a_rs, a_ks, panel, first ? nullptr : edge, kNR, edge, kNR);
              for (int r = 0; r < mr; ++r)
                std::memcpy(c + r * g.ldc, edge + r * kNR, nc * sizeof(float));
            }
          }
        }
      }
    }
  }
}

// One thread's scratch for a product of N columns and depth K: the packed
// op(B) block (<= kKC x kNC), + 16 so that each slice starts 64-byte aligned.
size_t thread_scratch_floats(size_t N, size_t K) {
  const size_t cols = N >= kNC ? kNC : (N + kNR - 1) / kNR * kNR;  // (no overflow at SIZE_MAX)
  return std::min(kKC, K) * cols + 16;
}

float* thread_scratch(float* scratch, size_t t, size_t per_thread) {
  float* p = scratch + t * per_thread;
  const size_t mis = (reinterpret_cast<uintptr_t>(p) / sizeof(float)) % 16;
  return mis ? p + (16 - mis) : p;
}

}  // namespace

size_t gemm_f32_strided_scratch_floats(int threads, size_t max_n, size_t max_k) {
  return size_t(std::max(threads, 1)) * thread_scratch_floats(max_n, max_k);
}

void gemm_f32_strided(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, const float* A,
                      size_t lda, const float* B, size_t ldb, float* C, size_t ldc,
                      bool accumulate, ThreadPool* pool, float* scratch) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate)
      for (size_t i = 0; i < M; ++i) std::fill(C + i * ldc, C + i * ldc + N, 0.0f);
    return;
  }
  LST_CHECK(A && B && C && scratch, "gemm_f32_strided: null operand or scratch");
  const Problem g{trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, accumulate};
  const size_t panels = (N + kNR - 1) / kNR, row_tiles = (M + kMR - 1) / kMR;
  int threads = pool ? pool->num_threads() : 1;
  if (double(M) * double(N) * double(K) < kParallelMacs) threads = 1;
  if (threads <= 1) {
    gemm_part(g, 0, M, 0, panels, thread_scratch(scratch, 0, 0));
    return;
  }
  // Split the panels when there are enough of them (no duplicated packing),
  // else the row tiles (every thread packs the same, narrow, op(B)).
  const size_t T = size_t(threads), per_thread = thread_scratch_floats(N, K);
  const bool by_panels = panels >= 2 * T || panels >= row_tiles;
  pool->parallel_for(T, [&](size_t t0, size_t t1) {
    for (size_t t = t0; t < t1; ++t) {
      float* s = thread_scratch(scratch, t, per_thread);
      if (by_panels) {
        const size_t per = (panels + T - 1) / T, p0 = std::min(panels, t * per);
        gemm_part(g, 0, M, p0, std::min(panels, p0 + per), s);
      } else {
        const size_t per = (row_tiles + T - 1) / T, r0 = std::min(row_tiles, t * per);
        gemm_part(g, r0 * kMR, std::min(M, (r0 + per) * kMR), 0, panels, s);
      }
    }
  });
}

}  // namespace lst
