// Matrix products computed directly on f16 and q8 weights (weight_matrix.h):
//   y[M, N] = x[M, K] · W[N, K]^T + bias.
//
// q8: the rows of x are quantised too, per block of 32 along K by the
// weights' rule (quantize_q8_rows), and each block is an exact integer dot product:
//   y[m, n] = bias[n] + sum_b (xs[m, b] · ws[n, b]) · dot(xq[m, b], wq[n, b]).
// f16: the halves are widened to f32 in registers and multiplied with x.
//
// Every output element is computed by the same sequence of operations
// whatever the tile it falls in (the GEMV tile at M = 1, the GEMM tile for
// many rows, the edge tiles), so a decode step equals a full forward bit for
// bit on quantised weights too. Each kernel set has a scalar twin ("scalar")
// that the tests compare against.
//
// q8 is also the same bits on every platform and kernel set: each block's
// dot product is one exact i32, and the float steps are fixed,
//   acc = 0; for b in order: acc = acc + (xs[m, b] * ws[n, b]) * float(d_b);
//   y = bias + acc
// each multiply and add rounded on its own (never fused; the kernel files are
// built with -ffp-contract=off). So an int8 model writes the same text in
// wasm and natively, as f32 does. f16 sums in each set's own order (a
// tolerance, see the tests).
//
// The kernel set is chosen at run time by CPU feature (x86: AVX-512 VNNI,
// else AVX2+FMA+F16C; wasm: SIMD128), so a native binary runs on any x86-64
// with AVX2 and uses AVX-512 where the CPU has it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/weight_matrix.h"

namespace lst {

class ThreadPool;

// Outputs n in [n0, n1) of rows m in [0, M): y[m*ldy + n]; bias may be null.
//   xq: (M, nb*32) int8, xs: (M, nb) scales; wq: (N, nb*32), ws: (N, nb).
using Q8GemmFn = void (*)(size_t M, size_t n0, size_t n1, size_t nb, const int8_t* xq,
                          const float* xs, const int8_t* wq, const float* ws, const float* bias,
                          float* y, size_t ldy);
//   x: (M, K) f32, w: (N, K) halves.
using F16GemmFn = void (*)(size_t M, size_t n0, size_t n1, size_t K, const float* x,
                           const uint16_t* w, const float* bias, float* y, size_t ldy);
// q8 weights widened to f32 against f32 x (no activation quantisation); the
// alternative the SIMD128 bench measures against the integer path.
using Q8F32GemmFn = void (*)(size_t M, size_t n0, size_t n1, size_t K, const float* x,
                             const int8_t* wq, const float* ws, const float* bias, float* y,
                             size_t ldy);

struct QuantKernels {
  const char* name;  // e.g. "q8_avx512vnni + f16_avx512", "q8_scalar + f16_scalar"
  Q8GemmFn q8;
  F16GemmFn f16;
  Q8F32GemmFn q8_f32;  // null where not implemented
  // Another int8 x int8 strategy the benchmark compares (null: none).
  const char* q8_alt_name = nullptr;
  Q8GemmFn q8_alt = nullptr;
};

// The set the Linear layers use: the fastest this CPU runs, chosen once.
const QuantKernels& quant_kernels();
// Every set this CPU can run, the scalar twin first (tests, benchmarks).
std::vector<const QuantKernels*> quant_kernel_sets();

// A Linear over f16 or q8 weights (shared, not copied), running on `pool`
// (inline when `pool_mu` is held by another layer, as the builtin GEMM).
// `kernels` null: quant_kernels().
std::unique_ptr<Linear> make_quant_linear(std::shared_ptr<const WeightMatrix> W,
                                          const float* bias, ThreadPool& pool,
                                          std::shared_ptr<std::mutex> pool_mu,
                                          const QuantKernels* kernels = nullptr);

}  // namespace lst
