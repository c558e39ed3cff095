// The scalar twins of the quantised kernels (gemm_quant.h): the tests'
// reference, and the set a CPU without SIMD runs. One output element at a
// time, blocks in order.
#include <cstring>

#include "kernels/quant_tiling.h"

namespace lst::quant_detail {
namespace {

struct ScalarQ8 {
  template <int MR, int NR>
  static void run(const Q8Args& a, size_t m, size_t n) {
    const size_t kp = a.nb * kQ8Block;
    for (int r = 0; r < MR; ++r)
      for (int c = 0; c < NR; ++c) {
        const int8_t* x = a.xq + (m + r) * kp;
        const int8_t* w = a.wq + (n + c) * kp;
        float acc = 0.0f;
        for (size_t b = 0; b < a.nb; ++b) {
          int32_t d = 0;
          for (size_t i = 0; i < kQ8Block; ++i) d += int32_t(x[b * kQ8Block + i]) * w[b * kQ8Block + i];
          acc += (a.xs[(m + r) * a.nb + b] * a.ws[(n + c) * a.nb + b]) * static_cast<float>(d);
        }
        a.y[(m + r) * a.ldy + n + c] = (a.bias ? a.bias[n + c] : 0.0f) + acc;
      }
  }
};

struct ScalarF16 {
  template <int MR, int NR>
  static void run(const F16Args& a, size_t m, size_t n) {
    for (int r = 0; r < MR; ++r)
      for (int c = 0; c < NR; ++c) {
        const float* x = a.x + (m + r) * a.K;
        const uint16_t* w = a.w + (n + c) * a.K;
        float acc = 0.0f;
        for (size_t k = 0; k < a.K; ++k) acc += x[k] * half_to_float(w[k]);
        a.y[(m + r) * a.ldy + n + c] = (a.bias ? a.bias[n + c] : 0.0f) + acc;
      }
  }
};

struct ScalarQ8F32 {
  template <int MR, int NR>
  static void run(const Q8F32Args& a, size_t m, size_t n) {
    const size_t nb = (a.K + kQ8Block - 1) / kQ8Block, kp = nb * kQ8Block;
    for (int r = 0; r < MR; ++r)
      for (int c = 0; c < NR; ++c) {
        const float* x = a.x + (m + r) * a.K;
        const int8_t* w = a.wq + (n + c) * kp;
        float acc = 0.0f;
        for (size_t b = 0; b < nb; ++b) {
          float s = 0.0f;
          for (size_t k = b * kQ8Block; k < std::min(a.K, (b + 1) * kQ8Block); ++k)
            s += x[k] * static_cast<float>(w[k]);
          acc += a.ws[(n + c) * nb + b] * s;
        }
        a.y[(m + r) * a.ldy + n + c] = (a.bias ? a.bias[n + c] : 0.0f) + acc;
      }
  }
};

void q8_scalar(size_t M, size_t n0, size_t n1, size_t nb, const int8_t* xq, const float* xs,
               const int8_t* wq, const float* ws, const float* bias, float* y, size_t ldy) {
  tile_loop<ScalarQ8, 1, 1, 1>(Q8Args{nb, xq, xs, wq, ws, bias, y, ldy}, M, n0, n1);
}
void f16_scalar(size_t M, size_t n0, size_t n1, size_t K, const float* x, const uint16_t* w,
                const float* bias, float* y, size_t ldy) {
  tile_loop<ScalarF16, 1, 1, 1>(F16Args{K, x, w, bias, y, ldy}, M, n0, n1);
}
void q8_f32_scalar(size_t M, size_t n0, size_t n1, size_t K, const float* x, const int8_t* wq,
                   const float* ws, const float* bias, float* y, size_t ldy) {
  tile_loop<ScalarQ8F32, 1, 1, 1>(Q8F32Args{K, x, wq, ws, bias, y, ldy}, M, n0, n1);
}

const QuantKernels kScalar{"q8_scalar + f16_scalar", q8_scalar, f16_scalar, q8_f32_scalar};

}  // namespace

const QuantKernels* quant_kernels_scalar() { return &kScalar; }

}  // namespace lst::quant_detail
