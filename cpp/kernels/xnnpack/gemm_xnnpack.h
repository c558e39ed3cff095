// XNNPACK backend (GemmBackend::kXnnpack): fully-connected operators whose
// weights XNNPACK packs at creation, run on the context's pthreadpool.
// Compiled only when LST_HAVE_XNNPACK (CMake links XNNPACK).
#pragma once
#include <memory>

#include "kernels/gemm.h"

namespace lst {

std::unique_ptr<GemmContext> make_xnnpack_gemm_context(ThreadPool& pool);

}  // namespace lst
