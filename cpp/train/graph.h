// The whole model's training forward (keeping activations) and backward,
// docs/SPEC.md §3-5: loss = cross_entropy(net(x[:, :-1], mask[:, :-1]), x[:, 1:]),
// mean over all b*n targets (the mask only masks keys, never targets).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/gemm.h"
#include "model/config.h"
#include "train/activations.h"
#include "train/dropout.h"
#include "train/params.h"

namespace lst {
class ThreadPool;
}

namespace lst::train {

template <class T>
class TrainGraph {
 public:
  // `pool` must outlive the graph. The arena is sized by the first forward
  // (or reserve()) and reallocated only when (b, n) changes. Training's
  // products always run on the builtin gemm_f32_strided (XNNPACK packs
  // weights once per operator, and these change every step): `backend` is
  // accepted for the callers' one option struct and not used here.
  TrainGraph(const Config& c, ThreadPool& pool, GemmBackend backend = default_gemm_backend());

  void reserve(int64_t b, int64_t n);

  // Dropout for the following forwards and their backwards (off by
  // default: validation and evaluation run without it).
  void set_dropout(const DropoutMasks& d) { dropout_ = d; }
  const DropoutMasks& dropout() const { return dropout_; }

  // inputs, targets: (b, n) ids; mask: (b, n) 1 = real token, or null.
  // Returns the mean cross-entropy; with targets null only the logits are
  // computed (read them with logits()) and 0 is returned.
  double forward(const ParamPtrs<T>& p, const std::vector<std::vector<float>>& rotary_freqs,
                 const int32_t* inputs, const int32_t* targets, const uint8_t* mask, int64_t b,
                 int64_t n);

  // The seed's AutoregressiveWrapper: tokens (b, n+1), mask (b, n+1) or null.
  double forward_sequences(const ParamPtrs<T>& p,
                           const std::vector<std::vector<float>>& rotary_freqs,
                           const int32_t* tokens, const uint8_t* mask, int64_t b,
                           int64_t n_plus_1);

  // Accumulates d(loss_scale * loss)/d(params) into `grad` (same layout as p).
  // Needs the preceding forward with targets.
  void backward(const ParamPtrs<T>& p, const ParamPtrs<T>& grad, T loss_scale = T(1));

  // (b, N, V) logits of the last forward without targets (row t of sequence
  // i at (i*N + t)*V, N the padded length).
  const T* logits() const { return act_.probs; }
  int64_t padded_length() const { return act_.N; }

  // Bytes of the activation arena for (b, n) and `threads` GEMM threads.
  static size_t activation_bytes(const Config& c, int64_t b, int64_t n, int threads = 1);

 private:
  // out (M, O) = in (M, I) W^T + b, and its backward (din overwritten,
  // dW/db accumulated). Float: gemm_f32_strided (threaded, packing into the
  // arena's scratch) for all three products; double: the reference loops.
  void linear_fwd(T* out, const T* in, const T* W, const T* b, size_t M, size_t I, size_t O);
  void linear_bwd(T* din, T* dW, T* db, const T* dout, const T* in, const T* W, size_t M,
                  size_t I, size_t O);
  // hbuf (rows, hidden) = dropout(GELU(pre)), the layer's ff mask.
  void ff_activation(size_t l, const T* pre, size_t rows);
  void attention_forward(size_t l, const ParamPtrs<T>& p);
  void attention_backward(size_t l, const ParamPtrs<T>& p, const ParamPtrs<T>& grad);

  Config c_;
  ThreadPool& pool_;
  Activations<T> act_;
  bool have_targets_ = false;
  DropoutMasks dropout_;
};

// Memory of one training step (float32): parameters, gradients, Adam's two
// moments and the activation arena, in bytes.
struct TrainMemory {
  size_t params = 0, grads = 0, optimizer = 0, activations = 0;
  size_t total() const { return params + grads + optimizer + activations; }
};
TrainMemory training_memory(const Config& c, int64_t b, int64_t n, int threads = 1);

}  // namespace lst::train
