// The model object JS holds: weights, forward, evaluate, save. Marshalling
// only (see marshal.h and embind.cpp: heap buffers in, typed_memory_view
// out, errors as values); the model layer decides everything.
#pragma once
#include <emscripten/val.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bindings/marshal.h"
#include "model/model.h"

namespace lst::wasm {

// A byte buffer on the wasm heap that JS fills in place (a weight file).
class HeapBuffer {
 public:
  // False (and error()) when the heap cannot hold `size` bytes.
  bool resize(double size) {
    return guarded(&error_, [&] {
      LST_CHECK(size >= 0 && size <= 4294967295.0, "buffer size ", size, " is out of range");
      bytes_.clear();
      bytes_.shrink_to_fit();
      bytes_.resize(static_cast<size_t>(size));
    });
  }
  emscripten::val view() { return emscripten::val(emscripten::typed_memory_view(bytes_.size(), bytes_.data())); }
  double size() const { return static_cast<double>(bytes_.size()); }
  void release() {
    bytes_.clear();
    bytes_.shrink_to_fit();
  }
  std::string error() const { return error_; }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
  std::string error_;
};

class WasmModel {
 public:
  // From a safetensors file held in `file`; `config_json` ("" = the file's
  // __metadata__ config) overrides the config. `file` may be released after.
  // weights: "f32" | "f16" | "int8" convert the matrices, "" keeps the file's.
  bool loadSafetensors(const HeapBuffer& file, const std::string& config_json, int threads,
                       const std::string& backend, const std::string& weights);
  // A fresh model with the reference package's default init from a seeded PRNG.
  bool initRandom(const std::string& config_json, double seed, int threads, const std::string& backend,
                  const std::string& weights);

  // Int32Array view of `count` token slots for JS to fill before forward().
  // null (and error()) when the heap cannot hold them.
  emscripten::val inputTokens(double count) { return resized_view(tokens_, count, &error_); }
  // Uint8Array view of `count` mask slots (1 = real token).
  emscripten::val inputMask(double count) { return resized_view(mask_, count, &error_); }

  // Runs the model on inputTokens() as (b, n) (and inputMask() when
  // `use_mask`); the logits (b, n, num_tokens) are then in logits().
  bool forward(int b, int n, bool use_mask);
  // The first n ids of inputTokens() (checked), for a generator's prefill.
  const int32_t* tokensData(int n) const;
  // Float32Array view of the last forward()'s logits (valid until the next call).
  emscripten::val logits() { return emscripten::val(emscripten::typed_memory_view(logits_.size(), logits_.data())); }

  // Held-out loss of a byte-level model over the bytes in `data` (windows of
  // seq + 1 bytes, model/evaluate.h): nats per byte; NaN (and error()) on error.
  double evaluateBytes(const HeapBuffer& data, double seq);

  // safetensors bytes (F16 weights when `f16`) into saved().
  // dtype: "float32" | "float16" | "int8" (stored_weights.h formats).
  bool save(const std::string& dtype);
  // "f32", "f16", "int8" or "mixed": what the matrices are computed in.
  std::string weightFormat() { return model().weight_format(); }
  emscripten::val saved() { return emscripten::val(emscripten::typed_memory_view(saved_.size(), saved_.data())); }

  std::string configJson() { return model_ ? model_->config().to_json() : std::string(); }
  double numParameters() { return model_ ? double(model_->num_parameters()) : 0.0; }
  int numThreads() { return model_ ? model_->num_threads() : 0; }
  std::string backend() { return model_ ? gemm_backend_name(model_->backend()) : ""; }

  // Frees the model (joins its threads) and every buffer.
  void release();
  // Drops scratch buffers (logits, saved file) but keeps the model.
  void releaseOutputs();

  std::string error() const { return error_; }

  // The loaded model; throws when none (used by WasmGenerator).
  Model& model() {
    LST_CHECK(model_ != nullptr, "no model loaded");
    return *model_;
  }

 private:
  std::unique_ptr<Model> model_;
  std::vector<int32_t> tokens_;
  std::vector<uint8_t> mask_;
  std::vector<float> logits_;
  std::vector<uint8_t> saved_;
  std::string error_;
};

// Build facts for the loader and for diagnostics.
bool backendAvailable(const std::string& name);
std::string defaultBackend();
int maxThreads();

}  // namespace lst::wasm
