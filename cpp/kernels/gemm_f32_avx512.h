// AVX-512 micro-kernel of the builtin f32 GEMM (gemm_builtin.cpp), compiled
// for AVX-512F by a target pragma in its own file and used where the CPU has
// it (chosen at run time, not by the build's -march). Internal to the kernels
// layer.
//
// It reads the builtin GEMM's packed panels (kNR = 16 columns, K-major) two
// at a time: one 512-bit register per panel row. Every output element is the
// same chain of fused multiply-adds, in the same k order, as in the AVX2 tile
// (gemm_tile.h), so the two kernel sets give the same bits
// (tests/cpp/test_gemm.cpp checks it).
#pragma once
#include <cstddef>

namespace lst::gemm_detail {

// Rows of the AVX-512 tile: 12 x 2 panels = 24 accumulators + 2 panel
// vectors + 1 broadcast of the 32 zmm registers.
constexpr int kAvx512MR = 12;

// True when this build has the kernel (x86-64, GCC, AVX2 panels) and the CPU
// runs AVX-512F.
bool avx512_f32_kernel_supported();

// C[12, 32] = init + A[12, kc] · (panel0 | panel1), where panel q is
// `panels + q * panel_stride`, kc rows of 16 floats; A rows at stride lda;
// init rows at stride ldi (ldi 0 broadcasts a bias row; init may alias c).
void gemm_f32_12x32_avx512(size_t kc, const float* a, size_t lda, const float* panels,
                           size_t panel_stride, const float* init, size_t ldi, float* c,
                           size_t ldc);

}  // namespace lst::gemm_detail
