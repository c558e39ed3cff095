// The project's own GEMM backend (GemmBackend::kBuiltin): weights packed once
// into K-major panels of gemm_detail::kNR output columns, a register-tiled
// kMR x kNR micro-kernel for M >= kMR, and a GEMV path (M < kMR) that streams
// several panels at once with >= 8 independent accumulator chains.
#pragma once
#include <memory>

#include "kernels/gemm.h"

namespace lst {

std::unique_ptr<GemmContext> make_builtin_gemm_context(ThreadPool& pool);

// The micro-kernels this build compiled to, e.g.
// "gemm_f32_6x16_avx2 + gemv_f32_1x64_avx2" or "gemm_f32_6x8_simd128 + gemv_f32_1x32_simd128".
const char* builtin_gemm_kernel_names();

// x86-64: layers made from now on use the AVX-512 tile (gemm_f32_avx512.h)
// where the CPU has AVX-512F, if `allowed` (the default). The AVX2 and
// AVX-512 tiles give the same bits; tests and benches compare them.
void set_builtin_gemm_avx512(bool allowed);
bool builtin_gemm_avx512_active();

}  // namespace lst
