// WebAssembly SIMD128 quantised kernels (Emscripten builds):
//   q8_simd128:     int8 x int8 per block with i32x4.dot_i16x8_s (both sides
//                   widened to i16), one exact i32 per block and output, then
//                   the scalar twin's float steps (same bits as native);
//   q8f32_simd128:  int8 weights widened to f32 against f32 x (no activation
//                   quantisation), kept for bench_gemm's comparison;
//   f16_simd128:    halves widened in registers (bits moved into place, times
//                   2^112, as half_to_float), then f32 multiply-add.
// No FMA in this toolchain: multiply and add are separate, tails included.
#include "kernels/quant_tiling.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

namespace lst::quant_detail {
namespace {

inline float hsum(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

// 32 int8 -> four i16x8.
inline void widen32(const int8_t* p, v128_t out[4]) {
  const v128_t a = wasm_v128_load(p), b = wasm_v128_load(p + 16);
  out[0] = wasm_i16x8_extend_low_i8x16(a);
  out[1] = wasm_i16x8_extend_high_i8x16(a);
  out[2] = wasm_i16x8_extend_low_i8x16(b);
  out[3] = wasm_i16x8_extend_high_i8x16(b);
}

// 32 int8 as four i16x8 with v128.load8x8_s (one load-and-widen
// instruction each on x64, where extend_high costs two).
inline void load_widen32(const int8_t* p, v128_t out[4]) {
  out[0] = wasm_i16x8_load8x8(p);
  out[1] = wasm_i16x8_load8x8(p + 8);
  out[2] = wasm_i16x8_load8x8(p + 16);
  out[3] = wasm_i16x8_load8x8(p + 24);
}

// One block's int8 dot product as four i32 partial sums, both sides widened
// to i16 (v128.load8x8_s) and multiplied with i32x4.dot_i16x8_s.
struct DotI16 {
  struct X {
    v128_t v[4];
  };
  static X load_x(const int8_t* xp) {
    X x;
    load_widen32(xp, x.v);
    return x;
  }
  static v128_t dot(const X& x, const int8_t* wp) {
    v128_t w[4];
    load_widen32(wp, w);
    return wasm_i32x4_add(
        wasm_i32x4_add(wasm_i32x4_dot_i16x8(x.v[0], w[0]), wasm_i32x4_dot_i16x8(x.v[1], w[1])),
        wasm_i32x4_add(wasm_i32x4_dot_i16x8(x.v[2], w[2]), wasm_i32x4_dot_i16x8(x.v[3], w[3])));
  }
};

// The same with i16x8.extmul_i8x16 (int8 x int8 -> i16, no widening first)
// and i32x4.extadd_pairwise: two adjacent products sum to at most
// 2 * 128 * 127 < 2^15, so the i16 add cannot overflow.
struct DotExtmul {
  struct X {
    v128_t v[2];
  };
  static X load_x(const int8_t* xp) { return X{{wasm_v128_load(xp), wasm_v128_load(xp + 16)}}; }
  static v128_t dot(const X& x, const int8_t* wp) {
    const v128_t w0 = wasm_v128_load(wp), w1 = wasm_v128_load(wp + 16);
    const v128_t p0 = wasm_i16x8_add(wasm_i16x8_extmul_low_i8x16(x.v[0], w0),
                                     wasm_i16x8_extmul_high_i8x16(x.v[0], w0));
    const v128_t p1 = wasm_i16x8_add(wasm_i16x8_extmul_low_i8x16(x.v[1], w1),
                                     wasm_i16x8_extmul_high_i8x16(x.v[1], w1));
    return wasm_i32x4_add(wasm_i32x4_extadd_pairwise_i16x8(p0), wasm_i32x4_extadd_pairwise_i16x8(p1));
  }
};

#if defined(__wasm_relaxed_simd__)
// i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, c): per i32 lane, four products
// of a's signed bytes and b's bytes, plus c. Every CPU gives the same answer
// when b is in [0, 127], so the weight's sign moves onto x (ggml's trick, as
// the AVX2 kernels): b = |w| (<= 127 by the q8 rule), a = x * sign(w); a pair
// of products is at most 2 * 127 * 127 < 2^15, so x86's 16-bit step cannot
// saturate. LLVM 14 has no builtin for the instruction: the relaxed
// laneselect (three v128 in, one out, never used otherwise) holds its place
// and scripts/wasm-relaxed-opcodes.mjs turns each into the dot product after
// the link (docs/RELAXED_SIMD.md). c is never a constant, so no optimiser can
// fold the placeholder by laneselect's own rules.
inline v128_t relaxed_dot_i8_i7_add(v128_t a, v128_t b, v128_t c) {
  return __builtin_wasm_laneselect_i32x4(a, b, c);
}

struct DotRelaxed {
  struct X {
    v128_t v[2];
  };
  static X load_x(const int8_t* xp) { return X{{wasm_v128_load(xp), wasm_v128_load(xp + 16)}}; }
  static v128_t dot(const X& x, const int8_t* wp) {
    const v128_t w0 = wasm_v128_load(wp), w1 = wasm_v128_load(wp + 16);
    const v128_t s0 = wasm_i8x16_shr(w0, 7), s1 = wasm_i8x16_shr(w1, 7);  // -1 where w < 0
    const v128_t a0 = wasm_i8x16_sub(wasm_v128_xor(x.v[0], s0), s0);
    const v128_t a1 = wasm_i8x16_sub(wasm_v128_xor(x.v[1], s1), s1);
    // Seeded with a0's bits and that seed taken off again (exact in i32).
    const v128_t d = relaxed_dot_i8_i7_add(a1, wasm_i8x16_abs(w1),
                                           relaxed_dot_i8_i7_add(a0, wasm_i8x16_abs(w0), a0));
    return wasm_i32x4_sub(d, a0);
  }
};
#endif

inline int32_t hsum_i32(v128_t v) {
  return (wasm_i32x4_extract_lane(v, 0) + wasm_i32x4_extract_lane(v, 1)) +
         (wasm_i32x4_extract_lane(v, 2) + wasm_i32x4_extract_lane(v, 3));
}

// Lane c = the sum of pc's four lanes (exact: integer adds).
inline v128_t sum_lanes4(v128_t p0, v128_t p1, v128_t p2, v128_t p3) {
  const v128_t a = wasm_i32x4_add(wasm_i32x4_shuffle(p0, p1, 0, 4, 1, 5), wasm_i32x4_shuffle(p0, p1, 2, 6, 3, 7));
  const v128_t b = wasm_i32x4_add(wasm_i32x4_shuffle(p2, p3, 0, 4, 1, 5), wasm_i32x4_shuffle(p2, p3, 2, 6, 3, 7));
  return wasm_i32x4_add(wasm_i32x4_shuffle(a, b, 0, 1, 4, 5), wasm_i32x4_shuffle(a, b, 2, 3, 6, 7));
}

// Each block's dot product is reduced to one exact i32 before any float
// arithmetic, and the float steps are the scalar twin's (gemm_quant.h):
// acc + (xs * ws) * d, so the bits equal the native kernels'. NR is 1 (edge
// columns) or 4 (one output per lane).
template <class Dot>
struct Simd128Q8 {
  template <int MR, int NR>
  static void run(const Q8Args& a, size_t m, size_t n) {
    static_assert(NR == 1 || NR == 4, "q8 tiles are one column or four");
    const size_t kp = a.nb * kQ8Block, nb = a.nb;
    if constexpr (NR == 1) {
      float acc[MR] = {};
      for (size_t b = 0; b < nb; ++b) {
        const float ws = a.ws[n * nb + b];
        for (int r = 0; r < MR; ++r) {
          const int32_t d = hsum_i32(Dot::dot(Dot::load_x(a.xq + (m + r) * kp + b * kQ8Block),
                                              a.wq + n * kp + b * kQ8Block));
          acc[r] = acc[r] + (a.xs[(m + r) * nb + b] * ws) * static_cast<float>(d);
        }
      }
      for (int r = 0; r < MR; ++r) a.y[(m + r) * a.ldy + n] = (a.bias ? a.bias[n] : 0.0f) + acc[r];
    } else {
      v128_t acc[MR];
      for (int r = 0; r < MR; ++r) acc[r] = wasm_f32x4_splat(0.0f);
      const float* ws = a.ws + n * nb;
      for (size_t b = 0; b < nb; ++b) {
        const v128_t wsv = wasm_f32x4_make(ws[b], ws[nb + b], ws[2 * nb + b], ws[3 * nb + b]);
        const int8_t* wb = a.wq + n * kp + b * kQ8Block;
        for (int r = 0; r < MR; ++r) {
          const typename Dot::X x = Dot::load_x(a.xq + (m + r) * kp + b * kQ8Block);
          const v128_t d = sum_lanes4(Dot::dot(x, wb), Dot::dot(x, wb + kp), Dot::dot(x, wb + 2 * kp),
                                      Dot::dot(x, wb + 3 * kp));
          const v128_t s = wasm_f32x4_mul(wasm_f32x4_splat(a.xs[(m + r) * nb + b]), wsv);
          acc[r] = wasm_f32x4_add(acc[r], wasm_f32x4_mul(s, wasm_f32x4_convert_i32x4(d)));
        }
      }
      const v128_t bias = a.bias ? wasm_v128_load(a.bias + n) : wasm_f32x4_splat(0.0f);
      for (int r = 0; r < MR; ++r) wasm_v128_store(a.y + (m + r) * a.ldy + n, wasm_f32x4_add(bias, acc[r]));
    }
  }
};

struct Simd128Q8F32 {
  template <int MR, int NR>
  static void run(const Q8F32Args& a, size_t m, size_t n) {
    const size_t nb = (a.K + kQ8Block - 1) / kQ8Block, kp = nb * kQ8Block;
    // The last partial block of each x row, zero-padded (never read past K).
    alignas(16) float tail[MR][kQ8Block];
    const size_t full = a.K / kQ8Block;
    for (int r = 0; r < MR; ++r)
      for (size_t i = 0; i < kQ8Block; ++i) {
        const size_t k = full * kQ8Block + i;
        tail[r][i] = k < a.K ? a.x[(m + r) * a.K + k] : 0.0f;
      }
    v128_t acc[MR][NR];
    for (int r = 0; r < MR; ++r)
      for (int c = 0; c < NR; ++c) acc[r][c] = wasm_f32x4_splat(0.0f);
    for (size_t b = 0; b < nb; ++b)
      for (int c = 0; c < NR; ++c) {
        v128_t w16[4], w[8];
        widen32(a.wq + (n + c) * kp + b * kQ8Block, w16);
        for (int i = 0; i < 4; ++i) {
          w[2 * i] = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(w16[i]));
          w[2 * i + 1] = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(w16[i]));
        }
        const v128_t s = wasm_f32x4_splat(a.ws[(n + c) * nb + b]);
        for (int r = 0; r < MR; ++r) {
          const float* x = b < full ? a.x + (m + r) * a.K + b * kQ8Block : tail[r];
          v128_t s0 = wasm_f32x4_mul(wasm_v128_load(x), w[0]);
          v128_t s1 = wasm_f32x4_mul(wasm_v128_load(x + 4), w[1]);
          for (int i = 2; i < 8; i += 2) {
            s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(x + 4 * i), w[i]));
            s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(x + 4 * i + 4), w[i + 1]));
          }
          acc[r][c] = wasm_f32x4_add(acc[r][c], wasm_f32x4_mul(wasm_f32x4_add(s0, s1), s));
        }
      }
    for (int r = 0; r < MR; ++r)
      for (int c = 0; c < NR; ++c)
        a.y[(m + r) * a.ldy + n + c] = (a.bias ? a.bias[n + c] : 0.0f) + hsum(acc[r][c]);
  }
};

// 8 halves -> two f32x4: each half into the top of a 32-bit lane, shifted
// (arithmetic, so bits 28..30 copy the sign and are masked off) to f32's
// mantissa position, times 2^112 to rebias the exponent; exact for finite halves.
inline void half8_to_f32(v128_t h, v128_t& lo, v128_t& hi) {
  const v128_t z = wasm_i32x4_splat(0), mask = wasm_i32x4_splat(static_cast<int32_t>(0x8fffe000u));
  const v128_t k = wasm_f32x4_splat(0x1p112f);
  lo = wasm_i16x8_shuffle(z, h, 0, 8, 1, 9, 2, 10, 3, 11);
  hi = wasm_i16x8_shuffle(z, h, 4, 12, 5, 13, 6, 14, 7, 15);
  lo = wasm_f32x4_mul(wasm_v128_and(wasm_i32x4_shr(lo, 3), mask), k);
  hi = wasm_f32x4_mul(wasm_v128_and(wasm_i32x4_shr(hi, 3), mask), k);
}

struct Simd128F16 {
  template <int MR, int NR>
  static void run(const F16Args& a, size_t m, size_t n) {
    const size_t K = a.K;
    v128_t acc[MR][NR];
    for (int r = 0; r < MR; ++r)
      for (int c = 0; c < NR; ++c) acc[r][c] = wasm_f32x4_splat(0.0f);
    size_t k = 0;
    for (; k + 8 <= K; k += 8) {
      v128_t x0[MR], x1[MR];
      for (int r = 0; r < MR; ++r) {
        x0[r] = wasm_v128_load(a.x + (m + r) * K + k);
        x1[r] = wasm_v128_load(a.x + (m + r) * K + k + 4);
      }
      for (int c = 0; c < NR; ++c) {
        v128_t lo, hi;
        half8_to_f32(wasm_v128_load(a.w + (n + c) * K + k), lo, hi);
        for (int r = 0; r < MR; ++r)
          acc[r][c] = wasm_f32x4_add(acc[r][c], wasm_f32x4_add(wasm_f32x4_mul(x0[r], lo),
                                                               wasm_f32x4_mul(x1[r], hi)));
      }
    }
    for (int r = 0; r < MR; ++r)
      for (int c = 0; c < NR; ++c) {
        float s = hsum(acc[r][c]);
        for (size_t t = k; t < K; ++t) s += a.x[(m + r) * K + t] * half_to_float(a.w[(n + c) * K + t]);
        a.y[(m + r) * a.ldy + n + c] = (a.bias ? a.bias[n + c] : 0.0f) + s;
      }
  }
};

// GEMV 1 x 4 (4 chains; V8 has 15 xmm registers), GEMM 2 x 4.
void q8_simd128(size_t M, size_t n0, size_t n1, size_t nb, const int8_t* xq, const float* xs,
                const int8_t* wq, const float* ws, const float* bias, float* y, size_t ldy) {
  tile_loop<Simd128Q8<DotI16>, 4, 2, 4>(Q8Args{nb, xq, xs, wq, ws, bias, y, ldy}, M, n0, n1);
}
[[maybe_unused]] void q8_extmul_simd128(size_t M, size_t n0, size_t n1, size_t nb, const int8_t* xq, const float* xs,
                       const int8_t* wq, const float* ws, const float* bias, float* y, size_t ldy) {
  tile_loop<Simd128Q8<DotExtmul>, 4, 2, 4>(Q8Args{nb, xq, xs, wq, ws, bias, y, ldy}, M, n0, n1);
}
void q8f32_simd128(size_t M, size_t n0, size_t n1, size_t K, const float* x, const int8_t* wq,
                   const float* ws, const float* bias, float* y, size_t ldy) {
  tile_loop<Simd128Q8F32, 4, 2, 4>(Q8F32Args{K, x, wq, ws, bias, y, ldy}, M, n0, n1);
}
void f16_simd128(size_t M, size_t n0, size_t n1, size_t K, const float* x, const uint16_t* w,
                 const float* bias, float* y, size_t ldy) {
  tile_loop<Simd128F16, 4, 2, 4>(F16Args{K, x, w, bias, y, ldy}, M, n0, n1);
}

#if defined(__wasm_relaxed_simd__)
void q8_relaxed(size_t M, size_t n0, size_t n1, size_t nb, const int8_t* xq, const float* xs,
                const int8_t* wq, const float* ws, const float* bias, float* y, size_t ldy) {
  tile_loop<Simd128Q8<DotRelaxed>, 4, 2, 4>(Q8Args{nb, xq, xs, wq, ws, bias, y, ldy}, M, n0, n1);
}
// The relaxed int8 dot product first; SIMD128's dot_i16x8 kept as the alternative.
const QuantKernels kSimd128{"q8_relaxed + f16_simd128", q8_relaxed, f16_simd128, q8f32_simd128,
                            "q8_simd128", q8_simd128};
#else
const QuantKernels kSimd128{"q8_simd128 + f16_simd128", q8_simd128, f16_simd128, q8f32_simd128,
                            "q8_extmul_simd128", q8_extmul_simd128};
#endif

}  // namespace

const QuantKernels* quant_kernels_simd128() { return &kSimd128; }

}  // namespace lst::quant_detail

#else

namespace lst::quant_detail {
const QuantKernels* quant_kernels_simd128() { return nullptr; }
}  // namespace lst::quant_detail

#endif
