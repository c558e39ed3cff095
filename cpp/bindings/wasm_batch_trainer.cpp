#include "bindings/wasm_batch_trainer.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "bindings/training_weights.h"
#include "train/params.h"

namespace lst::wasm {

// [{ name, shape, offset, numel }] of every trainable tensor.
static std::string layout_json(const Config& c) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& e : train::ParamLayout::make(c).entries)
    j.push_back({{"name", e.name}, {"shape", e.shape}, {"offset", e.offset}, {"numel", e.numel}});
  return j.dump();
}

bool WasmBatchTrainer::load(const HeapBuffer& file, const std::string& config_json, double seed, int threads,
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
    pass_ = std::make_unique<train::TrainingPass<float>>(c_, *pool_, mo.backend);
    adam_ = std::make_unique<train::Adam>(params_.size(), train::AdamOptions{});
  });
}

bool WasmBatchTrainer::accumulate(int b, int n_plus_1, bool use_mask) {
  return guarded(&error_, [&] {
    LST_CHECK(pass_ != nullptr, "no weights loaded");
    LST_CHECK(b >= 1 && n_plus_1 >= 2,
              "tokens must have shape [b, n+1] with b >= 1 and n+1 >= 2,"
              " got [",
              b, ", ", n_plus_1, "]");
    const size_t count = size_t(b) * size_t(n_plus_1);
    LST_CHECK(tokens_.size() == count, "tokens: expected ", count, " ids for shape [", b, ", ", n_plus_1,
              "], got ", tokens_.size());
    LST_CHECK(!use_mask || mask_.size() == count, "mask: expected ", count, " entries for shape [", b, ", ",
              n_plus_1, "], got ", mask_.size());
    for (size_t i = 0; i < count; ++i)
      LST_CHECK(tokens_[i] >= 0 && tokens_[i] < c_.num_tokens, "token ", tokens_[i], " at index ", i,
                " is not an id in [0, ", c_.num_tokens, ")");
    const auto P = train::ParamPtrs<float>::bind(params_.data(), c_);
    const auto G = train::ParamPtrs<float>::bind(grads_.data(), c_);
    loss_ = pass_->forward_sequences(P, freqs_, tokens_.data(), use_mask ? mask_.data() : nullptr, b, n_plus_1);
    pass_->backward(P, G);
  });
}

bool WasmBatchTrainer::setOptimizer(double lr, double beta1, double beta2, double eps, double weight_decay,
                                 bool decoupled) {
  return guarded(&error_, [&] {
    LST_CHECK(pass_ != nullptr, "no weights loaded");
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

bool WasmBatchTrainer::optimizerStep(double clip) {
  return guarded(&error_, [&] {
    LST_CHECK(pass_ != nullptr, "no weights loaded");
    grad_norm_ = train::clip_grad_norm(grads_.data(), grads_.size(), clip);
    adam_->step(params_.data(), grads_.data());
  });
}

emscripten::val WasmBatchTrainer::gradients() {
  return emscripten::val(emscripten::typed_memory_view(grads_.size(), grads_.data()));
}

emscripten::val WasmBatchTrainer::parameters() {
  return emscripten::val(emscripten::typed_memory_view(params_.size(), params_.data()));
}

bool WasmBatchTrainer::save(bool f16) {
  return guarded(&error_, [&] {
    LST_CHECK(pass_ != nullptr, "no weights loaded");
    saved_ = state_dict_file(train::unflatten_weights(params_.data(), c_, &freqs_), c_, f16).serialize();
  });
}

emscripten::val WasmBatchTrainer::saved() {
  return emscripten::val(emscripten::typed_memory_view(saved_.size(), saved_.data()));
}

void WasmBatchTrainer::release() {
  pass_.reset();
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

std::string WasmBatchTrainer::layoutJson() const { return pass_ ? layout_json(c_) : "[]"; }

}  // namespace lst::wasm
