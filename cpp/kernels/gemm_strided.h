// The one matrix product training uses for every projection (forward, dX,
// dW): C[M, N] (+)= op(A)[M, K] · op(B)[K, N], row-major with row strides,
// op = transpose or not, threaded over the ThreadPool. It runs on the builtin
// register tile (gemm_tile.h: AVX2 natively, SIMD128 in wasm) whichever
// backend the inference Linear uses: XNNPACK packs weights once at creation,
// which does not fit weights that change every step, so training always takes
// this builtin path.
//
// op(B) is packed, one (K block x column block) at a time, into a scratch the
// caller owns (the training arena): no allocation per call.
#pragma once
#include <cstddef>
#include <cstdint>

namespace lst {

class ThreadPool;

// Floats of scratch gemm_f32_strided needs for `threads` threads, for any M
// and N <= max_n, K <= max_k (the defaults: any N, K; at most ~256 KB a thread).
size_t gemm_f32_strided_scratch_floats(int threads, size_t max_n = SIZE_MAX,
                                       size_t max_k = SIZE_MAX);

// C (M, N) row stride ldc;  A (M, K) lda, or (K, M) when trans_a;
// B (K, N) ldb, or (N, K) when trans_b. accumulate: C += ..., else C = ...
// (C is then never read). pool may be null (one thread); scratch holds
// gemm_f32_strided_scratch_floats(pool threads) floats. A call from inside a
// pool job must pass a null pool.
void gemm_f32_strided(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, const float* A,
                      size_t lda, const float* B, size_t ldb, float* C, size_t ldc,
                      bool accumulate, ThreadPool* pool, float* scratch);

}  // namespace lst
