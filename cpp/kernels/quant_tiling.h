// The loop every quantised kernel set runs (internal to the kernels layer):
// output rows of W in column blocks that stay in cache, x rows in tiles of
// MR, W rows in tiles of NR; one row of x (decode) takes a 1 x NR1 GEMV tile.
// A set supplies Tile::run<MR, NR>(args, m, n), computing y[m .. m+MR) x
// [n .. n+NR); an element's arithmetic must not depend on MR or NR.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "kernels/gemm_quant.h"

namespace lst::quant_detail {

struct Q8Args {
  size_t nb;           // blocks along K
  const int8_t* xq;    // (M, nb*32)
  const float* xs;     // (M, nb)
  const int8_t* wq;    // (N, nb*32)
  const float* ws;     // (N, nb)
  const float* bias;   // (N) or null
  float* y;
  size_t ldy;
  size_t w_row_bytes() const { return nb * 32; }
  size_t x_row_bytes() const { return nb * 32; }
};

struct F16Args {
  size_t K;
  const float* x;      // (M, K)
  const uint16_t* w;   // (N, K)
  const float* bias;
  float* y;
  size_t ldy;
  size_t w_row_bytes() const { return K * 2; }
  size_t x_row_bytes() const { return K * 4; }
};

struct Q8F32Args {
  size_t K;
  const float* x;      // (M, K)
  const int8_t* wq;    // (N, nb*32)
  const float* ws;     // (N, nb)
  const float* bias;
  float* y;
  size_t ldy;
  size_t w_row_bytes() const { return (K + 31) / 32 * 32; }
  size_t x_row_bytes() const { return K * 4; }
};

template <class Tile, int MR, int NR, class Args>
inline void rows_tile(int mr, const Args& a, size_t m, size_t n) {
  if constexpr (MR > 1) {
    if (mr < MR) {
      rows_tile<Tile, MR - 1, NR>(mr, a, m, n);
      return;
    }
  }
  Tile::template run<MR, NR>(a, m, n);
}

template <class Tile, int NR1, int MR, int NR, class Args>
void tile_loop(const Args& a, size_t M, size_t n0, size_t n1) {
  if (M == 0 || n0 >= n1) return;
  if (M == 1) {
    size_t n = n0;
    for (; n + NR1 <= n1; n += NR1) Tile::template run<1, NR1>(a, 0, n);
    for (; n < n1; ++n) Tile::template run<1, 1>(a, 0, n);
    return;
  }
  // Goto-style blocking: a row block of x (~256 KB) stays in L2 while a
  // column block of W (~48 KB) stays in L1 across its row tiles.
  const size_t x_row = a.x_row_bytes(), w_row = std::max<size_t>(1, a.w_row_bytes());
  const size_t mblock = std::max<size_t>(MR, (256u << 10) / std::max<size_t>(1, x_row) / MR * MR);
  const size_t nblock = std::max<size_t>(NR, (48u << 10) / w_row / NR * NR);
  for (size_t m0 = 0; m0 < M; m0 += mblock) {
    const size_t m1 = std::min(M, m0 + mblock);
    for (size_t b0 = n0; b0 < n1; b0 += nblock) {
      const size_t b1 = std::min(n1, b0 + nblock);
      for (size_t m = m0; m < m1; m += MR) {
        const int mr = static_cast<int>(std::min<size_t>(MR, m1 - m));
        size_t n = b0;
        for (; n + NR <= b1; n += NR) rows_tile<Tile, MR, NR>(mr, a, m, n);
        for (; n < b1; ++n) rows_tile<Tile, MR, 1>(mr, a, m, n);
      }
    }
  }
}

// The kernel sets of this build; null when the CPU cannot run one.
const QuantKernels* quant_kernels_scalar();
const QuantKernels* quant_kernels_avx2();        // x86-64: AVX2 + FMA + F16C
const QuantKernels* quant_kernels_avx512vnni();  // x86-64: AVX-512 F/BW/VL + VNNI
const QuantKernels* quant_kernels_simd128();     // wasm SIMD128

}  // namespace lst::quant_detail
