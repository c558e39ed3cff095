// The reference package's train.py as a library loop (docs/SPEC.md §5): random windows, gradient
// accumulation (micro-batch gradients SUM), global-norm clipping, Adam,
// periodic validation, samples and checkpoints. Front ends (the CLI, the
// wasm bindings) drive it and receive events to print or forward.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kernels/gemm.h"
#include "model/config.h"
#include "model/weights.h"
#include "train/adam.h"
#include "train/checkpoint.h"
#include "train/data.h"
#include "train/trainer_options.h"
#include "train/params.h"

namespace lst {
class ThreadPool;
}

namespace lst::train {

template <class T>
class TrainingPass;

struct TrainerEvent {
  enum Kind { kStep, kValid, kSample, kCheckpoint } kind = kStep;
  int64_t step = 0, steps = 0;         // steps done / total
  double loss = 0;                     // kStep: mean micro-batch loss; kValid: validation loss (nats)
  double lr = 0, grad_norm = 0;
  double tokens_per_s = 0, elapsed_s = 0, eta_s = 0;
  std::string text;                    // kSample: prime + continuation; kCheckpoint: path
};

class Trainer {
 public:
  // `data` must outlive the trainer. `pool`: the caller's threads (it must
  // outlive the trainer; its thread count must be o.threads), so one set of
  // threads serves everything its owner runs, as ModelOptions::pool does for
  // a Model; null: the trainer makes a pool of o.threads.
  Trainer(const Config& c, const Weights& init, const TrainerOptions& o, const DataSplit* data,
          ThreadPool* pool = nullptr);
  ~Trainer();

  // Resumes from a checkpoint written by this trainer (weights, Adam state,
  // step counter, data sampler); without a sidecar only the weights.
  void resume(const std::string& checkpoint_path);
  // What a checkpoint holds besides the weights: Adam's moments and counter,
  // the step counter, the data sampler's state.
  OptimState optim_state() const;
  // Replaces the weights (of config `c`, which must be this trainer's) and,
  // when `optim` is given, that state. Checks everything before changing
  // anything: on an error the trainer is as it was.
  void restore(const Config& c, const Weights& w, const OptimState* optim);

  // One optimiser step over accum micro-batches; returns the mean loss.
  double step();
  // Mean loss (nats per byte) over the fixed validation windows.
  double validate();
  // `len` bytes sampled after a prime (train.py: the reference generate()'s
  // filter_thres 0.9, temperature 1, seeded by seed + step): `prime` when
  // given, else sample_prime bytes of validation data. The model runs on the
  // trainer's thread pool (in wasm that pool holds every started worker).
  struct Sample {
    std::vector<int32_t> prime, continuation;
  };
  Sample sample(int64_t len, const std::vector<int32_t>* prime = nullptr);
  // Writes <out_dir>/model.safetensors (+ sidecar); returns the path.
  std::string checkpoint();

  // Runs until `steps`; on_event may return false to stop early.
  void run(const std::function<bool(const TrainerEvent&)>& on_event);

  int64_t steps_done() const { return step_; }
  Weights weights() const;
  const Config& config() const { return c_; }
  double last_grad_norm() const { return grad_norm_; }
  double last_lr() const { return lr_; }

 private:
  Config c_;
  TrainerOptions o_;
  const DataSplit* data_;
  std::unique_ptr<ThreadPool> own_pool_;  // when the caller gives none
  ThreadPool* pool_ = nullptr;            // own_pool_ or the caller's
  std::unique_ptr<TrainingPass<float>> pass_;
  std::vector<float> params_, grads_;
  // Views of params_ / grads_ by tensor, bound once (binding allocates);
  // rebound when resume() replaces params_.
  ParamPtrs<float> param_ptrs_, grad_ptrs_;
  std::vector<std::vector<float>> freqs_;
  std::unique_ptr<Adam> adam_;
  std::unique_ptr<WindowSampler> sampler_;
  std::vector<int32_t> batch_;
  int64_t step_ = 0;
  double grad_norm_ = 0, lr_ = 0, elapsed_before_ = 0;
};

// Held-out loss of a byte-level model over `data`: consecutive windows of
// seq + 1 bytes (overlapping by one), every byte after the first predicted
// once. Returns nats per byte.
double evaluate_bytes(const Config& c, const Weights& w, const std::vector<uint8_t>& data,
                      int64_t seq, int64_t batch, int threads, int64_t max_windows = 0);

// A byte as the reference package shows it: chr(max(32, b)).
std::string decode_bytes(const int32_t* tokens, int64_t n);

}  // namespace lst::train
