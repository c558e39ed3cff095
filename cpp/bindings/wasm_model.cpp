#include "bindings/wasm_model.h"

#include <cmath>

#include "io/safetensors.h"
#include "model/evaluate.h"
#include "model/stored_weights.h"
#include "model/weights.h"
#include "runtime/thread_pool.h"

namespace lst::wasm {

bool WasmModel::loadSafetensors(const HeapBuffer& file, const std::string& config_json, int threads,
                                const std::string& backend, const std::string& weights) {
  return guarded(&error_, [&] {
    model_.reset();
    const auto& bytes = file.bytes();
    LST_CHECK(!bytes.empty(), "the weight file is empty");
    SafeTensors st = SafeTensors::parse(bytes.data(), bytes.size());
    const Config c = Model::resolve_config(st, config_json);
    check_fits_heap(c);
    const ModelOptions options = make_options(threads, backend);
    LoadedWeights w = load_stored_weights(st, c, parse_weights_option(weights));
    model_ = std::make_unique<Model>(c, std::move(w.weights), std::move(w.stored), options);
  });
}

bool WasmModel::initRandom(const std::string& config_json, double seed, int threads, const std::string& backend,
                           const std::string& weights) {
  return guarded(&error_, [&] {
    model_.reset();
    LST_CHECK(seed >= 0 && seed <= 9007199254740991.0 && seed == double(uint64_t(seed)),
              "seed must be an integer in [0, 2^53), got ", seed);
    Config c = Config::from_json(config_json);
    check_fits_heap(c);
    ModelOptions options = make_options(threads, backend);
    options.weight_format = parse_weights_option(weights);
    model_ = std::make_unique<Model>(c, init_weights(c, static_cast<uint64_t>(seed)), options);
  });
}

bool WasmModel::forward(int b, int n, bool use_mask) {
  return guarded(&error_, [&] {
    Model& m = model();
    LST_CHECK(b >= 1 && n >= 1, "tokens must have shape [b, n] with b, n >= 1, got [", b, ", ", n, "]");
    const size_t count = size_t(b) * size_t(n);
    LST_CHECK(tokens_.size() == count, "tokens: expected ", count, " ids for shape [", b, ", ", n, "], got ",
              tokens_.size());
    LST_CHECK(!use_mask || mask_.size() == count, "mask: expected ", count, " entries for shape [", b, ", ", n,
              "], got ", mask_.size());
    const double out = double(count) * m.config().num_tokens;
    LST_CHECK(out * sizeof(float) < 4294967296.0, "logits of shape [", b, ", ", n, ", ", m.config().num_tokens,
              "] do not fit in the 4 GB WebAssembly heap");
    logits_.resize(static_cast<size_t>(out));
    m.forward(tokens_.data(), use_mask ? mask_.data() : nullptr, b, n, logits_.data());
  });
}

const int32_t* WasmModel::tokensData(int n) const {
  LST_CHECK(n >= 1 && size_t(n) <= tokens_.size(), "prompt: expected 1..", tokens_.size(),
            " tokens in inputTokens(), got ", n);
  return tokens_.data();
}

double WasmModel::evaluateBytes(const HeapBuffer& data, double seq) {
  double nats = std::nan("");
  guarded(&error_, [&] {
    LST_CHECK(seq >= 1 && seq <= 1048576 && seq == double(int64_t(seq)),
              "seq must be an integer in [1, 2^20], got ", seq);
    const auto& bytes = data.bytes();
    nats = evaluate_bytes(model(), bytes.data(), bytes.size(), int64_t(seq)).nats_per_byte;
  });
  return nats;
}

bool WasmModel::save(const std::string& dtype) {
  return guarded(&error_, [&] {
    LST_CHECK(dtype == "float32" || dtype == "float16" || dtype == "int8",
              "save: dtype must be 'float32', 'float16' or 'int8', got '", dtype.substr(0, 32), "'");
    saved_ = dtype == "int8" ? model().save_safetensors(WeightFormat::kQ8)
                             : model().save_safetensors(dtype == "float16");
  });
}

void WasmModel::release() {
  model_.reset();
  std::vector<int32_t>().swap(tokens_);
  std::vector<uint8_t>().swap(mask_);
  std::vector<float>().swap(logits_);
  std::vector<uint8_t>().swap(saved_);
}

void WasmModel::releaseOutputs() {
  std::vector<float>().swap(logits_);
  std::vector<uint8_t>().swap(saved_);
}

bool backendAvailable(const std::string& name) {
  try {
    return gemm_backend_available(parse_gemm_backend(name.c_str()));
  } catch (...) {
    return false;
  }
}
std::string defaultBackend() { return gemm_backend_name(default_gemm_backend()); }
int maxThreads() { return ThreadPool::max_supported_threads(); }

}  // namespace lst::wasm
