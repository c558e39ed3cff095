// Training from JavaScript: WasmTrainer owns an lst::train::Trainer over
// bytes handed in through a HeapBuffer, one optimiser step per step() call,
// so the JS loop (js/training/trainer.js) yields to the event loop between
// steps and reports progress. No files: save() gives the checkpoint's bytes.
// Marshalling only (marshal.h): options, sampling and the loop are the train
// layer's (train/trainer_options.h, train/trainer.h).
#pragma once
#include <emscripten/val.h>

#include <memory>
#include <string>
#include <vector>

#include "bindings/wasm_model.h"
#include "train/data.h"
#include "train/trainer.h"

namespace lst::wasm {

class WasmTrainer {
 public:
  // `config_json` ("" = the init file's __metadata__ config), `init` a
  // safetensors file (empty: the default init from the options' seed),
  // `data` the training bytes, the last `valid_fraction` held out,
  // `options_json` the user's trainer options (TrainerOptions::from_json).
  // `init` and `data` may be released afterwards.
  bool create(const std::string& config_json, const HeapBuffer& init,
              const HeapBuffer& data, double valid_fraction, const std::string& options_json);

  // One optimiser step over accum sampled micro-batches.
  bool step();
  double loss() const { return loss_; }
  double lr() const { return trainer_ ? trainer_->last_lr() : 0.0; }
  double gradNorm() const { return trainer_ ? trainer_->last_grad_norm() : 0.0; }
  double stepsDone() const { return trainer_ ? double(trainer_->steps_done()) : 0.0; }
  double totalSteps() const { return double(options_.steps); }
  // The resolved options (TrainerOptions::to_json), defaults included.
  std::string optionsJson() const { return resolved_json_; }
  double tokensPerStep() const { return double(options_.batch * options_.accum * options_.seq); }

  // Mean loss (nats per byte) over the fixed validation windows.
  bool validate();
  double validLoss() const { return valid_loss_; }

  // Uint8Array view of `count` prime bytes for JS to fill before sample().
  emscripten::val primeBuffer(double count);
  // train::Trainer::sample of `len` bytes after primeBuffer()'s bytes when
  // `use_prime`, else validation data; prime and continuation then in sampled().
  bool sample(double len, bool use_prime);
  emscripten::val sampled();
  double sampledPrimeLength() const { return double(sampled_prime_); }

  // The current weights as safetensors (seed names, config in
  // __metadata__; F16 weights when `f16`) into saved().
  bool save(bool f16);
  emscripten::val saved();
  void releaseSaved() { std::vector<uint8_t>().swap(saved_); }
  // The whole trainer state (weights, Adam's moments and counter, step,
  // data sampler; train/checkpoint.h's trainer state) into saved().
  bool saveState();
  // Continues from saveState()'s bytes: on an error the trainer is unchanged.
  bool resume(const HeapBuffer& state);

  std::string configJson() const { return trainer_ ? trainer_->config().to_json() : ""; }
  double numParameters() const;
  double trainBytes() const { return data_ ? double(data_->train.size()) : 0.0; }
  double validBytes() const { return data_ ? double(data_->valid.size()) : 0.0; }
  // Bytes of one training step's memory (params, grads, Adam, activations).
  double stepMemoryBytes() const;
  int numThreads() const { return trainer_ ? options_.threads : 0; }
  std::string backend() const { return trainer_ ? gemm_backend_name(options_.backend) : ""; }

  void release();
  std::string error() const { return error_; }

 private:
  train::Trainer& trainer();

  std::unique_ptr<train::DataSplit> data_;  // outlives trainer_ (declared first)
  std::unique_ptr<train::Trainer> trainer_;
  train::TrainerOptions options_;
  std::string resolved_json_;
  std::vector<uint8_t> prime_, sampled_, saved_;
  size_t sampled_prime_ = 0;
  double loss_ = 0, valid_loss_ = 0;
  std::string error_;
};

}  // namespace lst::wasm
