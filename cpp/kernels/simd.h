// A thin SIMD vocabulary (after ggml's simd-mappings.h): kernels are written
// once against these wrappers and compile to AVX2+FMA, SSE2, WASM SIMD128 or
// plain scalar code. kLanes tells how many floats a `vf` holds.
#pragma once
#include <cstddef>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#define LST_SIMD_WASM 1
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define LST_SIMD_AVX2 1
#elif defined(__SSE2__)
#include <emmintrin.h>
#define LST_SIMD_SSE2 1
#else
#define LST_SIMD_SCALAR 1
#endif

namespace lst::simd {

#if LST_SIMD_WASM
using vf = v128_t;
constexpr int kLanes = 4;
#if defined(__wasm_relaxed_simd__)
constexpr const char* kName = "wasm-relaxed-simd";
#else
constexpr const char* kName = "wasm-simd128";
#endif
inline vf load(const float* p) { return wasm_v128_load(p); }
inline void store(float* p, vf v) { wasm_v128_store(p, v); }
inline vf splat(float x) { return wasm_f32x4_splat(x); }
// Broadcast one float from memory to every lane (v128.load32_splat).
inline vf load_splat(const float* p) { return wasm_v128_load32_splat(p); }
inline vf zero() { return wasm_f32x4_splat(0.0f); }
inline vf add(vf a, vf b) { return wasm_f32x4_add(a, b); }
inline vf sub(vf a, vf b) { return wasm_f32x4_sub(a, b); }
inline vf mul(vf a, vf b) { return wasm_f32x4_mul(a, b); }
#if defined(__wasm_relaxed_simd__)
// a*b + c as f32x4.relaxed_madd: one FMA where the CPU has it, else a mul and
// an add (the engine decides; docs/RELAXED_SIMD.md states the bound). LLVM 14
// spells it __builtin_wasm_fma_f32x4 and emits the pre-standard opcode, which
// scripts/wasm-relaxed-opcodes.mjs rewrites after the link.
inline vf madd(vf a, vf b, vf c) {
  return (vf)__builtin_wasm_fma_f32x4((__f32x4)a, (__f32x4)b, (__f32x4)c);
}
#else
// a*b + c: SIMD128 has no FMA, so a separate mul and add.
inline vf madd(vf a, vf b, vf c) { return wasm_f32x4_add(wasm_f32x4_mul(a, b), c); }
#endif
inline vf max(vf a, vf b) { return wasm_f32x4_max(a, b); }
inline vf min(vf a, vf b) { return wasm_f32x4_min(a, b); }
// Interleaved pairs (rotary): (x0, x1, x2, x3) -> (x1, x0, x3, x2), and
// kLanes/2 floats from p, each twice: (p0, p0, p1, p1).
inline vf swap_pairs(vf v) { return wasm_i32x4_shuffle(v, v, 1, 0, 3, 2); }
inline vf load_dup_pairs(const float* p) { return wasm_f32x4_make(p[0], p[0], p[1], p[1]); }
inline float reduce_sum(vf v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}
inline float reduce_max(vf v) {
  float a = wasm_f32x4_extract_lane(v, 0), b = wasm_f32x4_extract_lane(v, 1);
  float c = wasm_f32x4_extract_lane(v, 2), d = wasm_f32x4_extract_lane(v, 3);
  float m1 = a > b ? a : b, m2 = c > d ? c : d;
  return m1 > m2 ? m1 : m2;
}
#elif LST_SIMD_AVX2
using vf = __m256;
constexpr int kLanes = 8;
constexpr const char* kName = "avx2-fma";
inline vf load(const float* p) { return _mm256_loadu_ps(p); }
inline void store(float* p, vf v) { _mm256_storeu_ps(p, v); }
inline vf splat(float x) { return _mm256_set1_ps(x); }
inline vf load_splat(const float* p) { return _mm256_broadcast_ss(p); }
inline vf zero() { return _mm256_setzero_ps(); }
inline vf add(vf a, vf b) { return _mm256_add_ps(a, b); }
inline vf sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
inline vf mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
inline vf madd(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
inline vf max(vf a, vf b) { return _mm256_max_ps(a, b); }
inline vf min(vf a, vf b) { return _mm256_min_ps(a, b); }
inline vf swap_pairs(vf v) { return _mm256_permute_ps(v, 0xB1); }
inline vf load_dup_pairs(const float* p) {
  const __m128 c = _mm_loadu_ps(p);
  return _mm256_set_m128(_mm_unpackhi_ps(c, c), _mm_unpacklo_ps(c, c));
}
inline float reduce_sum(vf v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  __m128 s = _mm_add_ps(lo, hi);
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
inline float reduce_max(vf v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  __m128 s = _mm_max_ps(lo, hi);
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
#elif LST_SIMD_SSE2
using vf = __m128;
constexpr int kLanes = 4;
constexpr const char* kName = "sse2";
inline vf load(const float* p) { return _mm_loadu_ps(p); }
inline void store(float* p, vf v) { _mm_storeu_ps(p, v); }
inline vf splat(float x) { return _mm_set1_ps(x); }
inline vf load_splat(const float* p) { return _mm_load1_ps(p); }
inline vf zero() { return _mm_setzero_ps(); }
inline vf add(vf a, vf b) { return _mm_add_ps(a, b); }
inline vf sub(vf a, vf b) { return _mm_sub_ps(a, b); }
inline vf mul(vf a, vf b) { return _mm_mul_ps(a, b); }
inline vf madd(vf a, vf b, vf c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
inline vf max(vf a, vf b) { return _mm_max_ps(a, b); }
inline vf min(vf a, vf b) { return _mm_min_ps(a, b); }
inline vf swap_pairs(vf v) { return _mm_shuffle_ps(v, v, _MM_SHUFFLE(2, 3, 0, 1)); }
inline vf load_dup_pairs(const float* p) {
  // Two floats, 4-byte aligned: _mm_loadl_epi64 takes an unaligned pointer
  // (_mm_load_sd would read them as one 8-byte-aligned double: UB).
  const __m128 c = _mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  return _mm_unpacklo_ps(c, c);
}
inline float reduce_sum(vf v) {
  __m128 s = _mm_add_ps(v, _mm_movehl_ps(v, v));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
inline float reduce_max(vf v) {
  __m128 s = _mm_max_ps(v, _mm_movehl_ps(v, v));
  s = _mm_max_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
#else
struct vf { float x; };
constexpr int kLanes = 1;
constexpr const char* kName = "scalar";
inline vf load(const float* p) { return {*p}; }
inline void store(float* p, vf v) { *p = v.x; }
inline vf splat(float x) { return {x}; }
inline vf load_splat(const float* p) { return {*p}; }
inline vf zero() { return {0.0f}; }
inline vf add(vf a, vf b) { return {a.x + b.x}; }
inline vf sub(vf a, vf b) { return {a.x - b.x}; }
inline vf mul(vf a, vf b) { return {a.x * b.x}; }
inline vf madd(vf a, vf b, vf c) { return {a.x * b.x + c.x}; }
inline vf max(vf a, vf b) { return {a.x > b.x ? a.x : b.x}; }
inline vf min(vf a, vf b) { return {a.x < b.x ? a.x : b.x}; }
// (pairs need kLanes >= 2: the scalar build's kernels take their scalar tails)
inline float reduce_sum(vf v) { return v.x; }
inline float reduce_max(vf v) { return v.x; }
#endif

// Dot product of two float arrays of length n (any n, any alignment).
inline float dot(const float* a, const float* b, size_t n) {
  vf acc0 = zero(), acc1 = zero();
  size_t i = 0;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    acc0 = madd(load(a + i), load(b + i), acc0);
    acc1 = madd(load(a + i + kLanes), load(b + i + kLanes), acc1);
  }
  for (; i + kLanes <= n; i += kLanes) acc0 = madd(load(a + i), load(b + i), acc0);
  float s = reduce_sum(add(acc0, acc1));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

// y[i] += a * x[i]
inline void axpy(float a, const float* x, float* y, size_t n) {
  vf va = splat(a);
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) store(y + i, madd(va, load(x + i), load(y + i)));
  for (; i < n; ++i) y[i] += a * x[i];
}

}  // namespace lst::simd
