#include "bindings/wasm_trainer.h"

#include <cmath>

#include "bindings/training_weights.h"
#include "train/checkpoint.h"
#include "train/graph.h"

namespace lst::wasm {

// Refuse, before allocating, a training step that cannot fit the 4 GB heap:
// parameters, gradients, Adam's two moments, the activation arena (linear in
// the batch; measured at b = 1 so size_t cannot wrap) and the data.
static void check_training_fits(const Config& c, int64_t batch, int64_t seq, double data_bytes) {
  const double P = double(count_parameters(c)) * sizeof(float);
  const double act = double(train::TrainGraph<float>::activation_bytes(c, 1, seq)) * double(batch);
  const double total = 4 * P + act + data_bytes;
  LST_CHECK(total < 3.5 * 1073741824.0, "a training step of batch ", batch, " x seq ", seq, " needs about ",
            total / 1073741824.0, " GB (weights, gradients, Adam state ", 4 * P / 1048576.0, " MB; activations ",
            act / 1048576.0,
            " MB; data), more than the 4 GB WebAssembly heap allows: use a smaller batch or seq "
            "(accum keeps the effective batch)");
}

bool WasmTrainer::create(const std::string& config_json, const HeapBuffer& init, const HeapBuffer& data,
                         double valid_fraction, const std::string& options_json) {
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
    LST_CHECK(c.num_tokens >= 256, "training on bytes needs num_tokens >= 256, the config has ", c.num_tokens);
    const auto& bytes = data.bytes();
    check_training_fits(c, o.batch, o.seq, 2.0 * double(bytes.size()));
    data_ = std::make_unique<train::DataSplit>(
        train::split_fraction(std::vector<uint8_t>(bytes.begin(), bytes.end()), valid_fraction));
    const size_t need = size_t(o.seq) + 2;
    LST_CHECK(data_->train.size() >= need, "the training data has ", data_->train.size(),
              " bytes (after holding out ", valid_fraction,
              " for validation), too few for "
              "windows of seq + 1 = ",
              o.seq + 1, " bytes: give more text or a smaller seq");
    LST_CHECK(data_->valid.size() >= need, "the validation data (the last ", valid_fraction, " of ", bytes.size(),
              " bytes = ", data_->valid.size(), " bytes) is too short for windows of seq + 1 = ", o.seq + 1,
              " bytes: give more text, a larger valid_fraction or a smaller seq");
    options_ = o;
    trainer_ = std::make_unique<train::Trainer>(c, w, o, data_.get());
  });
}

bool WasmTrainer::step() {
  return guarded(&error_, [&] { loss_ = trainer().step(); });
}

bool WasmTrainer::validate() {
  return guarded(&error_, [&] { valid_loss_ = trainer().validate(); });
}

emscripten::val WasmTrainer::primeBuffer(double count) {
  if (!guarded(&error_, [&] { prime_.resize(checked_count(count)); })) return emscripten::val::null();
  return emscripten::val(emscripten::typed_memory_view(prime_.size(), prime_.data()));
}

bool WasmTrainer::sample(double len, bool use_prime) {
  return guarded(&error_, [&] {
    LST_CHECK(len >= 0 && len <= 1e8 && len == std::floor(len), "sample length must be an integer >= 0, got ",
              len);
    const std::vector<int32_t> prime(prime_.begin(), prime_.end());
    const train::Trainer::Sample smp = trainer().sample(int64_t(len), use_prime ? &prime : nullptr);
    sampled_.assign(smp.prime.begin(), smp.prime.end());
    sampled_.insert(sampled_.end(), smp.continuation.begin(), smp.continuation.end());
    sampled_prime_ = smp.prime.size();
  });
}

emscripten::val WasmTrainer::sampled() {
  return emscripten::val(emscripten::typed_memory_view(sampled_.size(), sampled_.data()));
}

bool WasmTrainer::save(bool f16) {
  return guarded(&error_,
                 [&] { saved_ = state_dict_file(trainer().weights(), trainer().config(), f16).serialize(); });
}

bool WasmTrainer::saveState() {
  return guarded(&error_, [&] {
    train::OptimState st = trainer().optim_state();
    st.extra_json = resolved_json_;  // the options it ran with, for the reader
    saved_ = train::trainer_state_bytes(trainer().config(), trainer().weights(), st);
  });
}

bool WasmTrainer::resume(const HeapBuffer& state) {
  return guarded(&error_, [&] {
    Config c;
    Weights w;
    train::OptimState st;
    const auto& bytes = state.bytes();
    train::parse_trainer_state(bytes.data(), bytes.size(), &c, &w, &st);
    trainer().restore(c, w, &st);
  });
}

emscripten::val WasmTrainer::saved() {
  return emscripten::val(emscripten::typed_memory_view(saved_.size(), saved_.data()));
}

double WasmTrainer::numParameters() const { return trainer_ ? double(count_parameters(trainer_->config())) : 0.0; }

double WasmTrainer::stepMemoryBytes() const {
  if (!trainer_) return 0.0;
  return double(
      train::training_memory(trainer_->config(), options_.batch, options_.seq, options_.threads).total());
}

void WasmTrainer::release() {
  trainer_.reset();
  data_.reset();
  std::vector<uint8_t>().swap(prime_);
  std::vector<uint8_t>().swap(sampled_);
  std::vector<uint8_t>().swap(saved_);
  loss_ = valid_loss_ = 0;
}

train::Trainer& WasmTrainer::trainer() {
  LST_CHECK(trainer_ != nullptr, "no trainer (create() failed or it was released)");
  return *trainer_;
}

}  // namespace lst::wasm
