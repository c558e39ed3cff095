// Training from JavaScript (issue 5): the seed's train.py loop (cpp/train/)
// behind the same conventions as wasm_model.h (heap buffers in,
// typed_memory_views out, errors as values via guarded() + error(), never a
// C++ exception into JS).
//
//  - WasmTrainer owns an lst::train::Trainer over bytes handed in through a
//    HeapBuffer: one optimiser step per step() call, so the JS loop
//    (js/training/trainer.js) yields to the event loop between steps and
//    reports progress. No files: save() gives the checkpoint's bytes.
//  - WasmGradients is the seed's AutoregressiveWrapper loss and backward on
//    explicit token batches (the golden `train_grad` cases), plus the
//    optimiser step of train.py (clip_grad_norm_ + Adam) on the accumulated
//    gradients, so JS drives the golden `train_steps` loop micro-batch by
//    micro-batch: zeroGrad(); accumulate() x accum; optimizerStep().
#pragma once
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bindings/wasm_model.h"
#include "core/error.h"
#include "generation/generate.h"
#include "io/safetensors.h"
#include "model/decoder.h"
#include "model/model.h"
#include "model/weights.h"
#include "runtime/thread_pool.h"
#include "train/adam.h"
#include "train/data.h"
#include "train/graph.h"
#include "train/params.h"
#include "train/trainer.h"

namespace lst::wasm {
namespace detail {

inline uint64_t checked_seed(double seed) {
  LST_CHECK(seed >= 0 && seed <= 9007199254740991.0 && seed == double(uint64_t(seed)),
            "seed must be an integer in [0, 2^53), got ", seed);
  return static_cast<uint64_t>(seed);
}

// Config and weights from a safetensors file (config from its __metadata__
// unless `config_json` is given), or a seeded default init when the file is
// empty.
inline void load_or_init(const HeapBuffer& file, const std::string& config_json, double seed,
                         Config* c, Weights* w) {
  const auto& bytes = file.bytes();
  if (bytes.empty()) {
    LST_CHECK(!config_json.empty(), "a fresh model needs a config (or initial weights)");
    *c = Config::from_json(config_json);
    check_fits_heap(*c);
    *w = init_weights(*c, checked_seed(seed));
    return;
  }
  SafeTensors st = SafeTensors::parse(bytes.data(), bytes.size());
  Config override_config;
  const Config* override_ptr = nullptr;
  if (!config_json.empty()) {
    override_config = Config::from_json(config_json);
    override_ptr = &override_config;
  }
  *c = Model::resolve_config(st, override_ptr);
  check_fits_heap(*c);
  *w = load_weights(st, *c);
}

inline std::string layout_json(const Config& c) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& e : train::ParamLayout::make(c).entries)
    j.push_back({{"name", e.name}, {"shape", e.shape}, {"offset", e.offset}, {"numel", e.numel}});
  return j.dump();
}

// Refuse, before allocating, a training step that cannot fit the 4 GB heap:
// parameters, gradients, Adam's two moments, the activation arena (linear in
// the batch; measured at b = 1 so size_t cannot wrap) and the data.
inline void check_training_fits(const Config& c, int64_t batch, int64_t seq, double data_bytes) {
  const double P = double(count_parameters(c)) * sizeof(float);
  const double act = double(train::TrainGraph<float>::activation_bytes(c, 1, seq)) * double(batch);
  const double total = 4 * P + act + data_bytes;
  LST_CHECK(total < 3.5 * 1073741824.0, "a training step of batch ", batch, " x seq ", seq,
            " needs about ", total / 1073741824.0, " GB (weights, gradients, Adam state ",
            4 * P / 1048576.0, " MB; activations ", act / 1048576.0,
            " MB; data), more than the 4 GB WebAssembly heap allows: use a smaller batch or seq "
            "(accum keeps the effective batch)");
}

template <class T>
T json_get(const nlohmann::json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return it->get<T>();
}

}  // namespace detail

class WasmTrainer {
 public:
  // `config_json` ("" = the init file's __metadata__ config), `init` a
  // safetensors file (empty: the default init from the options' seed),
  // `data` the training bytes, the last `valid_fraction` held out,
  // `options_json` the user's trainer options (TrainerOptions::from_json).
  // `init` and `data` may be released afterwards.
  bool create(const std::string& config_json, const HeapBuffer& init,
              const HeapBuffer& data, double valid_fraction, const std::string& options_json) {
    return guarded(&error_, [&] {
      release();
      // Every option and default is decided by the train layer (train/trainer_options.h).
      train::TrainerOptions o = train::TrainerOptions::from_json(options_json);
      LST_CHECK(valid_fraction > 0 && valid_fraction < 1, "valid_fraction must be in (0, 1), got ", valid_fraction);
      Config c;
      Weights w;
      detail::load_or_init(init, config_json, double(o.seed), &c, &w);
      o.resolve_for(c);
      resolved_json_ = o.to_json();        // what JS shows and its run() loop schedules by
      o.valid_every = o.sample_every = 0;  // the JS loop schedules them
      o.out_dir.clear();                   // no files: save() returns bytes
      LST_CHECK(c.num_tokens >= 256, "training on bytes needs num_tokens >= 256, the config has ",
                c.num_tokens);
      const auto& bytes = data.bytes();
      detail::check_training_fits(c, o.batch, o.seq, 2.0 * double(bytes.size()));
      data_ = std::make_unique<train::DataSplit>(
          train::split_fraction(std::vector<uint8_t>(bytes.begin(), bytes.end()), valid_fraction));
      const size_t need = size_t(o.seq) + 2;
      LST_CHECK(data_->train.size() >= need, "the training data has ", data_->train.size(),
                " bytes (after holding out ", valid_fraction, " for validation), too few for "
                "windows of seq + 1 = ", o.seq + 1, " bytes: give more text or a smaller seq");
      LST_CHECK(data_->valid.size() >= need, "the validation data (the last ", valid_fraction,
                " of ", bytes.size(), " bytes = ", data_->valid.size(),
                " bytes) is too short for windows of seq + 1 = ", o.seq + 1,
                " bytes: give more text, a larger valid_fraction or a smaller seq");
      options_ = o;
      trainer_ = std::make_unique<train::Trainer>(c, w, o, data_.get());
    });
  }

  // One optimiser step over accum sampled micro-batches.
  bool step() {
    return guarded(&error_, [&] { loss_ = trainer().step(); });
  }
  double loss() const { return loss_; }
  double lr() const { return trainer_ ? trainer_->last_lr() : 0.0; }
  double gradNorm() const { return trainer_ ? trainer_->last_grad_norm() : 0.0; }
  double stepsDone() const { return trainer_ ? double(trainer_->steps_done()) : 0.0; }
  double totalSteps() const { return double(options_.steps); }
  // The resolved options (TrainerOptions::to_json), defaults included.
  std::string optionsJson() const { return resolved_json_; }
  double tokensPerStep() const { return double(options_.batch * options_.accum * options_.seq); }

  // Mean loss (nats per byte) over the fixed validation windows.
  bool validate() {
    return guarded(&error_, [&] { valid_loss_ = trainer().validate(); });
  }
  double validLoss() const { return valid_loss_; }

  // Uint8Array view of `count` prime bytes for JS to fill before sample().
  emscripten::val primeBuffer(double count) {
    if (!guarded(&error_, [&] { prime_.resize(checked_count(count)); }))
      return emscripten::val::null();
    return emscripten::val(emscripten::typed_memory_view(prime_.size(), prime_.data()));
  }
  // train::Trainer::sample of `len` bytes after primeBuffer()'s bytes when
  // `use_prime`, else validation data; prime and continuation then in sampled().
  bool sample(double len, bool use_prime) {
    return guarded(&error_, [&] {
      LST_CHECK(len >= 0 && len <= 1e8 && len == std::floor(len), "sample length must be an integer >= 0, got ", len);
      const std::vector<int32_t> prime(prime_.begin(), prime_.end());
      const train::Trainer::Sample smp = trainer().sample(int64_t(len), use_prime ? &prime : nullptr, 1);
      sampled_.assign(smp.prime.begin(), smp.prime.end());
      sampled_.insert(sampled_.end(), smp.continuation.begin(), smp.continuation.end());
      sampled_prime_ = smp.prime.size();
    });
  }
  emscripten::val sampled() {
    return emscripten::val(emscripten::typed_memory_view(sampled_.size(), sampled_.data()));
  }
  double sampledPrimeLength() const { return double(sampled_prime_); }

  // The current weights as safetensors (seed names, config in
  // __metadata__; F16 weights when `f16`) into saved().
  bool save(bool f16) {
    return guarded(&error_, [&] {
      saved_ = state_dict_file(trainer().weights(), trainer().config(), f16).serialize();
    });
  }
  emscripten::val saved() {
    return emscripten::val(emscripten::typed_memory_view(saved_.size(), saved_.data()));
  }
  void releaseSaved() { std::vector<uint8_t>().swap(saved_); }

  std::string configJson() const { return trainer_ ? trainer_->config().to_json() : ""; }
  double numParameters() const {
    return trainer_ ? double(count_parameters(trainer_->config())) : 0.0;
  }
  double trainBytes() const { return data_ ? double(data_->train.size()) : 0.0; }
  double validBytes() const { return data_ ? double(data_->valid.size()) : 0.0; }
  // Bytes of one training step's memory (params, grads, Adam, activations).
  double stepMemoryBytes() const {
    if (!trainer_) return 0.0;
    return double(train::training_memory(trainer_->config(), options_.batch, options_.seq,
                                         options_.threads)
                      .total());
  }
  int numThreads() const { return trainer_ ? options_.threads : 0; }
  std::string backend() const { return trainer_ ? gemm_backend_name(options_.backend) : ""; }

  void release() {
    trainer_.reset();
    data_.reset();
    std::vector<uint8_t>().swap(prime_);
    std::vector<uint8_t>().swap(sampled_);
    std::vector<uint8_t>().swap(saved_);
    loss_ = valid_loss_ = 0;
  }
  std::string error() const { return error_; }

 private:
  train::Trainer& trainer() {
    LST_CHECK(trainer_ != nullptr, "no trainer (create() failed or it was released)");
    return *trainer_;
  }

  std::unique_ptr<train::DataSplit> data_;  // outlives trainer_ (declared first)
  std::unique_ptr<train::Trainer> trainer_;
  train::TrainerOptions options_;
  std::string resolved_json_;
  std::vector<uint8_t> prime_, sampled_, saved_;
  size_t sampled_prime_ = 0;
  double loss_ = 0, valid_loss_ = 0;
  std::string error_;
};

class WasmGradients {
 public:
  // Weights from a safetensors file (config from its __metadata__ unless
  // `config_json` is given), or the seeded default init when `file` is empty.
  bool load(const HeapBuffer& file, const std::string& config_json, double seed, int threads,
            const std::string& backend) {
    return guarded(&error_, [&] {
      release();
      const ModelOptions mo = make_options(threads, backend);
      Weights w;
      detail::load_or_init(file, config_json, seed, &c_, &w);
      params_ = train::flatten_weights<float>(w, c_);
      grads_.assign(params_.size(), 0.0f);
      freqs_ = train::rotary_freqs_of(w);
      pool_ = std::make_unique<ThreadPool>(mo.num_threads);
      graph_ = std::make_unique<train::TrainGraph<float>>(c_, *pool_, mo.backend);
      adam_ = std::make_unique<train::Adam>(params_.size(), train::AdamOptions{});
    });
  }

  emscripten::val inputTokens(double count) { return resized_view(tokens_, count, &error_); }
  emscripten::val inputMask(double count) { return resized_view(mask_, count, &error_); }

  void zeroGrad() { std::fill(grads_.begin(), grads_.end(), 0.0f); }

  // The seed's AutoregressiveWrapper on inputTokens() as (b, n+1) (and
  // inputMask() when `use_mask`): loss = cross_entropy(net(x[:, :-1]),
  // x[:, 1:]); its gradient is ADDED to gradients() (loss.backward()).
  bool accumulate(int b, int n_plus_1, bool use_mask) {
    return guarded(&error_, [&] {
      LST_CHECK(graph_ != nullptr, "no weights loaded");
      LST_CHECK(b >= 1 && n_plus_1 >= 2, "tokens must have shape [b, n+1] with b >= 1 and n+1 >= 2,"
                " got [", b, ", ", n_plus_1, "]");
      const size_t count = size_t(b) * size_t(n_plus_1);
      LST_CHECK(tokens_.size() == count, "tokens: expected ", count, " ids for shape [", b, ", ",
                n_plus_1, "], got ", tokens_.size());
      LST_CHECK(!use_mask || mask_.size() == count, "mask: expected ", count,
                " entries for shape [", b, ", ", n_plus_1, "], got ", mask_.size());
      for (size_t i = 0; i < count; ++i)
        LST_CHECK(tokens_[i] >= 0 && tokens_[i] < c_.num_tokens, "token ", tokens_[i],
                  " at index ", i, " is not an id in [0, ", c_.num_tokens, ")");
      const auto P = train::ParamPtrs<float>::bind(params_.data(), c_);
      const auto G = train::ParamPtrs<float>::bind(grads_.data(), c_);
      loss_ = graph_->forward_sequences(P, freqs_, tokens_.data(),
                                        use_mask ? mask_.data() : nullptr, b, n_plus_1);
      graph_->backward(P, G);
    });
  }
  double loss() const { return loss_; }

  // Adam's options (torch.optim.Adam; weight_decay > 0 with `decoupled`:
  // AdamW). Resets the moments.
  bool setOptimizer(double lr, double beta1, double beta2, double eps, double weight_decay,
                    bool decoupled) {
    return guarded(&error_, [&] {
      LST_CHECK(graph_ != nullptr, "no weights loaded");
      train::AdamOptions o;
      o.lr = lr;
      o.beta1 = beta1;
      o.beta2 = beta2;
      o.eps = eps;
      o.weight_decay = weight_decay;
      o.decoupled_weight_decay = decoupled;
      adam_ = std::make_unique<train::Adam>(params_.size(), o);
    });
  }
  // train.py's step: clip_grad_norm_(clip) (clip <= 0: none), Adam.
  bool optimizerStep(double clip) {
    return guarded(&error_, [&] {
      LST_CHECK(graph_ != nullptr, "no weights loaded");
      grad_norm_ = train::clip_grad_norm(grads_.data(), grads_.size(), clip);
      adam_->step(params_.data(), grads_.data());
    });
  }
  double gradNorm() const { return grad_norm_; }

  // Float32Array views in the layoutJson() order (state_dict order,
  // trainable tensors only); valid until the next call.
  emscripten::val gradients() {
    return emscripten::val(emscripten::typed_memory_view(grads_.size(), grads_.data()));
  }
  emscripten::val parameters() {
    return emscripten::val(emscripten::typed_memory_view(params_.size(), params_.data()));
  }
  // [{ name, shape, offset, numel }] of every trainable tensor.
  std::string layoutJson() const { return graph_ ? detail::layout_json(c_) : "[]"; }
  std::string configJson() const { return graph_ ? c_.to_json() : ""; }

  bool save(bool f16) {
    return guarded(&error_, [&] {
      LST_CHECK(graph_ != nullptr, "no weights loaded");
      saved_ = state_dict_file(train::unflatten_weights(params_.data(), c_, &freqs_), c_, f16).serialize();
    });
  }
  emscripten::val saved() {
    return emscripten::val(emscripten::typed_memory_view(saved_.size(), saved_.data()));
  }

  void release() {
    graph_.reset();
    pool_.reset();
    adam_.reset();
    std::vector<float>().swap(params_);
    std::vector<float>().swap(grads_);
    std::vector<int32_t>().swap(tokens_);
    std::vector<uint8_t>().swap(mask_);
    std::vector<uint8_t>().swap(saved_);
    freqs_.clear();
    loss_ = grad_norm_ = 0;
  }
  std::string error() const { return error_; }

 private:
  Config c_;
  std::unique_ptr<ThreadPool> pool_;  // outlives graph_ (declared first)
  std::unique_ptr<train::TrainGraph<float>> graph_;
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
