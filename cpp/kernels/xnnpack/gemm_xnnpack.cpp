// XNNPACK backend: one xnn_fully_connected_nc_f32 operator per layer
// (W (out, in) row-major, bias folded in, no clamping), set up per call for
// the batch size M and run on a pthreadpool with the ThreadPool's thread count.
#include "kernels/xnnpack/gemm_xnnpack.h"

#include <pthreadpool.h>
#include <xnnpack.h>

#include <cmath>
#include <mutex>

#include "core/error.h"
#include "runtime/thread_pool.h"

namespace lst {
namespace {

const char* status_name(xnn_status s) {
  switch (s) {
    case xnn_status_success: return "success";
    case xnn_status_uninitialized: return "uninitialized";
    case xnn_status_invalid_parameter: return "invalid_parameter";
    case xnn_status_invalid_state: return "invalid_state";
    case xnn_status_unsupported_parameter: return "unsupported_parameter";
    case xnn_status_unsupported_hardware: return "unsupported_hardware";
    case xnn_status_out_of_memory: return "out_of_memory";
  }
  return "unknown";
}

#define LST_XNN_CHECK(call, ...)                                                            \
  do {                                                                                      \
    xnn_status lst_xnn_status_ = (call);                                                    \
    LST_CHECK(lst_xnn_status_ == xnn_status_success, "XNNPACK: " #call " failed with ",    \
              status_name(lst_xnn_status_), " (", static_cast<int>(lst_xnn_status_), ")", \
              __VA_ARGS__);                                                                 \
  } while (0)

// xnn_initialize once per process; every context checks the outcome.
void ensure_xnnpack_initialized() {
  static std::once_flag once;
  static xnn_status status = xnn_status_uninitialized;
  std::call_once(once, [] { status = xnn_initialize(nullptr); });
  LST_CHECK(status == xnn_status_success, "XNNPACK: xnn_initialize failed with ",
            status_name(status), " (", static_cast<int>(status), ")");
}

// Owns the pthreadpool; shared by the context and its layers (a layer may
// outlive the context). Null (serial) when the ThreadPool has one thread.
struct XnnThreads {
  pthreadpool_t tp = nullptr;
  explicit XnnThreads(int threads) {
    if (threads > 1) {
      tp = pthreadpool_create(static_cast<size_t>(threads));
      LST_CHECK(tp != nullptr, "pthreadpool_create(", threads, ") failed");
    }
  }
  ~XnnThreads() {
    if (tp) pthreadpool_destroy(tp);
  }
  XnnThreads(const XnnThreads&) = delete;
  XnnThreads& operator=(const XnnThreads&) = delete;
};

class XnnpackLinear final : public Linear {
 public:
  XnnpackLinear(const float* W, const float* bias, size_t in, size_t out,
                std::shared_ptr<XnnThreads> threads)
      : Linear(in, out), threads_(std::move(threads)) {
    LST_XNN_CHECK(xnn_create_fully_connected_nc_f32(in, out, in, out, W, bias, -INFINITY, INFINITY,
                                                    0, &op_),
                  " (in=", in, " out=", out, ")");
  }
  ~XnnpackLinear() override {
    if (op_) xnn_delete_operator(op_);
  }
  XnnpackLinear(const XnnpackLinear&) = delete;
  XnnpackLinear& operator=(const XnnpackLinear&) = delete;

  void run(const float* x, size_t M, float* y) override {
    if (M == 0) return;
    LST_CHECK(x != nullptr && y != nullptr, "Linear::run: null x or y (M=", M, ")");
    // Decode-sized problems (GEMV) run inline: pthreadpool's spin-then-sleep
    // workers collapse them (0.3 GFLOPS at M=1, 2 threads) when the other
    // core is busy, and one core already streams the weights near bandwidth.
    const double macs = double(M) * double(in_) * double(out_);
    pthreadpool_t tp = macs < kInlineMacs ? nullptr : threads_->tp;
    LST_XNN_CHECK(xnn_setup_fully_connected_nc_f32(op_, M, x, y, tp), " (M=", M,
                  " in=", in_, " out=", out_, ")");
    LST_XNN_CHECK(xnn_run_operator(op_, tp), " (M=", M, " in=", in_, " out=", out_, ")");
  }

 private:
  static constexpr double kInlineMacs = 1 << 21;
  std::shared_ptr<XnnThreads> threads_;
  xnn_operator_t op_ = nullptr;
};

class XnnpackContext final : public GemmContext {
 public:
  explicit XnnpackContext(ThreadPool& pool) : GemmContext(pool) {
    ensure_xnnpack_initialized();
    threads_ = std::make_shared<XnnThreads>(pool.num_threads());
  }
  GemmBackend backend() const override { return GemmBackend::kXnnpack; }
  using GemmContext::make_linear;
  std::unique_ptr<Linear> make_linear(const float* W, const float* bias, size_t in,
                                      size_t out) override {
    LST_CHECK(in > 0 && out > 0, "Linear: in and out features must be > 0, got in=", in,
              " out=", out);
    LST_CHECK(W != nullptr, "Linear: null weight (", out, " x ", in, ")");
    return std::make_unique<XnnpackLinear>(W, bias, in, out, threads_);
  }

 private:
  std::shared_ptr<XnnThreads> threads_;
};

}  // namespace

std::unique_ptr<GemmContext> make_xnnpack_gemm_context(ThreadPool& pool) {
  return std::make_unique<XnnpackContext>(pool);
}

}  // namespace lst
