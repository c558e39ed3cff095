// The register tile every GEMM in this project is built from, written once
// against simd.h (AVX2+FMA natively, SIMD128 under Emscripten). Internal to
// the kernels layer: gemm_builtin.cpp (packed weights) and gemm.cpp (the
// unpacked gemm_nn / gemm_tn helpers) include it. Raw pointers, no allocation.
#pragma once
#include <cstddef>

#include "kernels/simd.h"

namespace lst::gemm_detail {

constexpr int kL = simd::kLanes;
constexpr int kNRV = 2;         // vectors across one panel
constexpr int kNR = kNRV * kL;  // panel width: 16 (AVX2), 8 (SIMD128/SSE2)
// Rows of the main GEMM tile (kMR x kNRV accumulators). 128-bit targets get
// 4: V8 on x64 allocates 15 xmm registers and hoists a step's loads, so
// 8 accumulators + 2 panel vectors + 4 broadcasts + 1 temp is the most that
// does not spill (measured in Node 20: 4x8 ~95% of peak, 6x8 and 5x8 ~55%).
// AVX2 (16 ymm, 32 with AVX-512VL) takes 6x16, 12 accumulators.
#if LST_SIMD_AVX2
constexpr int kMR = 6;
#else
constexpr int kMR = 4;
#endif

// The vector vocabulary a tile is written against: simd.h's by default.
struct SimdVec {
  using vf = simd::vf;
  static constexpr int kLanes = simd::kLanes;
  static vf load(const float* p) { return simd::load(p); }
  static void store(float* p, vf v) { simd::store(p, v); }
  static vf zero() { return simd::zero(); }
  static vf load_splat(const float* p) { return simd::load_splat(p); }
  static vf madd(vf a, vf b, vf c) { return simd::madd(a, b, c); }
};

#if LST_SIMD_AVX2 && defined(__AVX512F__)
#define LST_GEMM_AVX512 1
// Native builds on CPUs with AVX-512 (-march=native): 512-bit registers, twice
// AVX2's multiply-adds per instruction and 32 of them. Only the training GEMM
// (gemm_strided.cpp) takes it; inference keeps the simd.h tile.
struct Avx512Vec {
  using vf = __m512;
  static constexpr int kLanes = 16;
  static vf load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, vf v) { _mm512_storeu_ps(p, v); }
  static vf zero() { return _mm512_setzero_ps(); }
  static vf load_splat(const float* p) { return _mm512_set1_ps(*p); }
  static vf madd(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
};
#endif

// C tile of MR rows x P column blocks of NRV vectors (of V::kLanes floats):
//   C(r, q) = init(r, q) + sum_k A(r, k) * B_p(k, q - p*NRV*L),  p = q / (NRV*L)
// with A(r, k) = a[r*a_rs + k*a_ks]          (any strides: rows or columns of A)
//      B_p(k, j) = b[p*b_ps + k*b_ks + j]    (unit stride along j)
//      init(r, q) = init[r*ldi + q]          (null: 0; ldi 0 broadcasts a bias row)
//      C(r, q) -> c[r*ldc + q].
// init may alias c (accumulate in place). The madd chains are independent:
// MR*P*NRV accumulators, each touched once per k.
template <int MR, int P, int NRV, class V = SimdVec>
inline void tile(size_t K, const float* a, size_t a_rs, size_t a_ks, const float* b, size_t b_ks,
                 size_t b_ps, const float* init, size_t ldi, float* c, size_t ldc) {
  using vf = typename V::vf;
  constexpr int L = V::kLanes;
  vf acc[MR][P][NRV];
  for (int r = 0; r < MR; ++r)
    for (int p = 0; p < P; ++p)
      for (int v = 0; v < NRV; ++v)
        acc[r][p][v] = init ? V::load(init + r * ldi + (p * NRV + v) * L) : V::zero();
  const float* ar[MR];
  for (int r = 0; r < MR; ++r) ar[r] = a + r * a_rs;
  if constexpr (P == 1) {
    // GEMM tile: the NRV panel vectors stay in registers, one broadcast per row.
    for (size_t k = 0; k < K; ++k) {
      vf bv[NRV];
      for (int v = 0; v < NRV; ++v) bv[v] = V::load(b + v * L);
      for (int r = 0; r < MR; ++r) {
        vf x = V::load_splat(ar[r]);
        for (int v = 0; v < NRV; ++v) acc[r][0][v] = V::madd(x, bv[v], acc[r][0][v]);
        ar[r] += a_ks;
      }
      b += b_ks;
    }
  } else {
    // GEMV-like tile (few rows, several panels): the row broadcasts stay in
    // registers, each panel vector is loaded once and used by every row.
    for (size_t k = 0; k < K; ++k) {
      vf x[MR];
      for (int r = 0; r < MR; ++r) {
        x[r] = V::load_splat(ar[r]);
        ar[r] += a_ks;
      }
      for (int p = 0; p < P; ++p)
        for (int v = 0; v < NRV; ++v) {
          vf bb = V::load(b + p * b_ps + v * L);
          for (int r = 0; r < MR; ++r) acc[r][p][v] = V::madd(x[r], bb, acc[r][p][v]);
        }
      b += b_ks;
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int p = 0; p < P; ++p)
      for (int v = 0; v < NRV; ++v) V::store(c + r * ldc + (p * NRV + v) * L, acc[r][p][v]);
}

}  // namespace lst::gemm_detail
