// The Linear over f16 / q8 weights and the run-time choice of kernel set.
// Threads split the output columns (rows of W) in units of 16, so each
// thread streams its own part of the weights once; q8 activations are
// quantised once per call, before the split.
#include "kernels/gemm_quant.h"

#include <algorithm>

#include "core/error.h"
#include "kernels/quant_tiling.h"
#include "runtime/thread_pool.h"

namespace lst {

std::vector<const QuantKernels*> quant_kernel_sets() {
  using namespace quant_detail;
  std::vector<const QuantKernels*> v{quant_kernels_scalar()};
  for (const QuantKernels* k : {quant_kernels_avx2(), quant_kernels_avx512vnni(), quant_kernels_simd128()})
    if (k) v.push_back(k);
  return v;
}

const QuantKernels& quant_kernels() {
  static const QuantKernels* best = quant_kernel_sets().back();
  return *best;
}

namespace {

constexpr size_t kColumnUnit = 16;
// Below this many multiply-adds a call runs on the calling thread only (as the builtin GEMM).
constexpr double kParallelMacs = 1 << 19;

class QuantLinear final : public Linear {
 public:
  QuantLinear(std::shared_ptr<const WeightMatrix> W, const float* bias, ThreadPool& pool,
              std::shared_ptr<std::mutex> pool_mu, const QuantKernels& kernels)
      : Linear(W->cols(), W->rows()),
        w_(std::move(W)),
        pool_(pool),
        pool_mu_(std::move(pool_mu)),
        k_(kernels) {
    if (bias) bias_.assign(bias, bias + out_);
  }

  void run(const float* x, size_t M, float* y) override {
    if (M == 0) return;
    LST_CHECK(x != nullptr && y != nullptr, "Linear::run: null x or y (M=", M, ")");
    const WeightMatrix& W = *w_;
    const float* bias = bias_.empty() ? nullptr : bias_.data();
    const size_t K = in_, N = out_;
    if (W.format() == WeightFormat::kQ8) {
      const size_t nb = W.blocks();
      xq_.resize(M * nb * kQ8Block);
      xs_.resize(M * nb);
      quantize_q8_rows(x, M, K, xq_.data(), xs_.data());
    }
    std::unique_lock<std::mutex> lock(*pool_mu_, std::try_to_lock);
    int threads = lock.owns_lock() ? pool_.num_threads() : 1;
    if (static_cast<double>(M) * N * K < kParallelMacs) threads = 1;
    auto body = [&](size_t u0, size_t u1) {
      const size_t n0 = u0 * kColumnUnit, n1 = std::min(N, u1 * kColumnUnit);
      if (W.format() == WeightFormat::kQ8) {
        k_.q8(M, n0, n1, W.blocks(), xq_.data(), xs_.data(), W.q8(), W.scales(), bias, y, N);
      } else {
        k_.f16(M, n0, n1, K, x, W.f16(), bias, y, N);
      }
    };
    const size_t units = (N + kColumnUnit - 1) / kColumnUnit;
    if (threads <= 1 || units <= 1) {
      body(0, units);
    } else {
      pool_.parallel_for(units, body, 1);
    }
  }

 private:
  std::shared_ptr<const WeightMatrix> w_;
  std::vector<float> bias_;
  ThreadPool& pool_;
  std::shared_ptr<std::mutex> pool_mu_;
  const QuantKernels& k_;
  // Quantised activations, grown to the largest M seen.
  std::vector<int8_t> xq_;
  std::vector<float> xs_;
};

}  // namespace

std::unique_ptr<Linear> make_quant_linear(std::shared_ptr<const WeightMatrix> W,
                                          const float* bias, ThreadPool& pool,
                                          std::shared_ptr<std::mutex> pool_mu,
                                          const QuantKernels* kernels) {
  LST_CHECK(W != nullptr, "quantised Linear: null weight matrix");
  LST_CHECK(W->format() == WeightFormat::kF16 || W->format() == WeightFormat::kQ8,
            "quantised Linear: weights are ", weight_format_name(W->format()),
            " (f32 goes to GemmContext::make_linear)");
  LST_CHECK(W->rows() > 0 && W->cols() > 0, "Linear: in and out features must be > 0, got in=",
            W->cols(), " out=", W->rows());
  LST_CHECK(pool_mu != nullptr, "quantised Linear: null pool mutex");
  return std::make_unique<QuantLinear>(std::move(W), bias, pool, std::move(pool_mu),
                                       kernels ? *kernels : quant_kernels());
}

}  // namespace lst
