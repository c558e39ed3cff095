// The reference AutoregressiveWrapper loss and backward on explicit token
// batches (the golden `train_grad` cases), plus train.py's optimiser step
// (clip_grad_norm_ + Adam) on the accumulated gradients, so JS drives the
// golden `train_steps` loop micro-batch by micro-batch: zeroGrad();
// accumulate() x accum; optimizerStep(). Marshalling over the train layer.
#pragma once
#include <emscripten/val.h>

#include <memory>
#include <string>
#include <vector>

#include "bindings/wasm_model.h"
#include "runtime/thread_pool.h"
#include "train/adam.h"
#include "train/training_pass.h"

namespace lst::wasm {

class WasmBatchTrainer {
 public:
  // Weights from a safetensors file (config from its __metadata__ unless
  // `config_json` is given), or the seeded default init when `file` is empty.
  bool load(const HeapBuffer& file, const std::string& config_json, double seed, int threads,
            const std::string& backend);

  emscripten::val inputTokens(double count) { return resized_view(tokens_, count, &error_); }
  emscripten::val inputMask(double count) { return resized_view(mask_, count, &error_); }

  void zeroGrad() { std::fill(grads_.begin(), grads_.end(), 0.0f); }

  // The reference package's AutoregressiveWrapper on inputTokens() as (b, n+1) (and
  // inputMask() when `use_mask`): loss = cross_entropy(net(x[:, :-1]),
  // x[:, 1:]); its gradient is ADDED to gradients() (loss.backward()).
  bool accumulate(int b, int n_plus_1, bool use_mask);
  double loss() const { return loss_; }

  // Adam's options (torch.optim.Adam; weight_decay > 0 with `decoupled`:
  // AdamW). Resets the moments.
  bool setOptimizer(double lr, double beta1, double beta2, double eps, double weight_decay,
                    bool decoupled);
  // train.py's step: clip_grad_norm_(clip) (clip <= 0: none), Adam.
  bool optimizerStep(double clip);
  double gradNorm() const { return grad_norm_; }

  // Float32Array views in the layoutJson() order (state_dict order,
  // trainable tensors only); valid until the next call.
  emscripten::val gradients();
  emscripten::val parameters();
  // [{ name, shape, offset, numel }] of every trainable tensor.
  std::string layoutJson() const;
  std::string configJson() const { return pass_ ? c_.to_json() : ""; }

  bool save(bool f16);
  emscripten::val saved();

  void release();
  std::string error() const { return error_; }

 private:
  Config c_;
  std::unique_ptr<ThreadPool> pool_;  // outlives pass_ (declared first)
  std::unique_ptr<train::TrainingPass<float>> pass_;
  std::unique_ptr<train::Adam> adam_;
  std::vector<float> params_, grads_;
  std::vector<std::vector<float>> freqs_;
  std::vector<int32_t> tokens_;
  std::vector<uint8_t> mask_;
  std::vector<uint8_t> saved_;
  double loss_ = 0, grad_norm_ = 0;
  std::string error_;
};

}  // namespace lst::wasm
