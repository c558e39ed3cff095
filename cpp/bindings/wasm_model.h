// The model object JS holds: weights, forward, save (see embind.cpp for the
// conventions: heap buffers in, typed_memory_view out, errors as values).
#pragma once
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cmath>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/safetensors.h"
#include "kernels/gemm.h"
#include "model/evaluate.h"
#include "model/model.h"
#include "model/weights.h"
#include "runtime/thread_pool.h"

namespace lst::wasm {
namespace detail {

inline ModelOptions make_options(int threads, const std::string& backend) {
  ModelOptions o;
  o.backend = backend.empty() ? default_gemm_backend() : parse_gemm_backend(backend.c_str());
  LST_CHECK(threads >= 1, "threads must be >= 1, got ", threads);
  LST_CHECK(threads <= 256, "threads must be <= 256, got ", threads);
  o.num_threads = threads;
  return o;
}

// Runs `fn`, turning any exception into `*error` and false.
template <typename Fn>
bool guarded(std::string* error, Fn&& fn) {
  error->clear();
  try {
    fn();
    return true;
  } catch (const std::bad_alloc&) {
    *error = "out of memory (the WebAssembly heap is limited to 4 GB)";
  } catch (const std::length_error& e) {
    *error = std::string("out of memory: a buffer is too large for the 4 GB WebAssembly heap (") +
             e.what() + ")";
  } catch (const std::exception& e) {
    *error = e.what();
  } catch (...) {
    *error = "unknown C++ exception";
  }
  if (error->empty()) *error = "unknown error";
  return false;
}

// wasm32 has a 32-bit size_t: refuse, before allocating, a model whose
// weights (plus the GEMM's packed copy) cannot fit in the 4 GB heap.
inline void check_fits_heap(const Config& c) {
  const double bytes = double(count_parameters(c)) * sizeof(float) * 2;
  LST_CHECK(bytes < 4294967296.0, "a model of ", count_parameters(c), " parameters needs ",
            bytes / 1073741824.0, " GB (weights and their packed copy), more than the 4 GB WebAssembly heap");
}

inline size_t checked_count(double count) {
  LST_CHECK(count >= 0 && count <= 1073741823.0, "input of ", count, " entries is too large");
  return static_cast<size_t>(count);
}

// Resizes `v` to `count` entries and returns a typed-array view of it for JS
// to fill; null (and *error) when the heap cannot hold it.
template <typename T>
emscripten::val resized_view(std::vector<T>& v, double count, std::string* error) {
  if (!guarded(error, [&] { v.resize(checked_count(count)); })) return emscripten::val::null();
  return emscripten::val(emscripten::typed_memory_view(v.size(), v.data()));
}

}  // namespace detail
using detail::guarded;
using detail::resized_view;
using detail::make_options;
using detail::check_fits_heap;
using detail::checked_count;

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
  bool loadSafetensors(const HeapBuffer& file, const std::string& config_json, int threads,
                       const std::string& backend) {
    return guarded(&error_, [&] {
      model_.reset();
      const auto& bytes = file.bytes();
      LST_CHECK(!bytes.empty(), "the weight file is empty");
      SafeTensors st = SafeTensors::parse(bytes.data(), bytes.size());
      Config override_config;
      const Config* override_ptr = nullptr;
      if (!config_json.empty()) {
        override_config = Config::from_json(config_json);
        override_ptr = &override_config;
      }
      const Config c = Model::resolve_config(st, override_ptr);
      check_fits_heap(c);
      const ModelOptions options = make_options(threads, backend);
      model_ = std::make_unique<Model>(c, load_weights(st, c), options);
    });
  }

  // A fresh model with the seed's default init from a seeded PRNG.
  bool initRandom(const std::string& config_json, double seed, int threads,
                  const std::string& backend) {
    return guarded(&error_, [&] {
      model_.reset();
      LST_CHECK(seed >= 0 && seed <= 9007199254740991.0 && seed == double(uint64_t(seed)),
                "seed must be an integer in [0, 2^53), got ", seed);
      Config c = Config::from_json(config_json);
      check_fits_heap(c);
      model_ = std::make_unique<Model>(c, init_weights(c, static_cast<uint64_t>(seed)),
                                       make_options(threads, backend));
    });
  }

  // Int32Array view of `count` token slots for JS to fill before forward().
  // null (and error()) when the heap cannot hold them.
  emscripten::val inputTokens(double count) { return resized_view(tokens_, count, &error_); }
  // Uint8Array view of `count` mask slots (1 = real token).
  emscripten::val inputMask(double count) { return resized_view(mask_, count, &error_); }

  // Runs the model on inputTokens() as (b, n) (and inputMask() when
  // `use_mask`); the logits (b, n, num_tokens) are then in logits().
  bool forward(int b, int n, bool use_mask) {
    return guarded(&error_, [&] {
      Model& m = model();
      LST_CHECK(b >= 1 && n >= 1, "tokens must have shape [b, n] with b, n >= 1, got [", b, ", ",
                n, "]");
      const size_t count = size_t(b) * size_t(n);
      LST_CHECK(tokens_.size() == count, "tokens: expected ", count, " ids for shape [", b, ", ",
                n, "], got ", tokens_.size());
      LST_CHECK(!use_mask || mask_.size() == count, "mask: expected ", count,
                " entries for shape [", b, ", ", n, "], got ", mask_.size());
      const double out = double(count) * m.config().num_tokens;
      LST_CHECK(out * sizeof(float) < 4294967296.0, "logits of shape [", b, ", ", n, ", ",
                m.config().num_tokens, "] do not fit in the 4 GB WebAssembly heap");
      logits_.resize(static_cast<size_t>(out));
      m.forward(tokens_.data(), use_mask ? mask_.data() : nullptr, b, n, logits_.data());
    });
  }
  // The first n ids of inputTokens() (checked), for a generator's prefill.
  const int32_t* tokensData(int n) const {
    LST_CHECK(n >= 1 && size_t(n) <= tokens_.size(), "prompt: expected 1..", tokens_.size(),
              " tokens in inputTokens(), got ", n);
    return tokens_.data();
  }

  // Float32Array view of the last forward()'s logits (valid until the next call).
  emscripten::val logits() {
    return emscripten::val(emscripten::typed_memory_view(logits_.size(), logits_.data()));
  }

  // Held-out loss of a byte-level model over the bytes in `data` (windows of
  // seq + 1 bytes, model/evaluate.h): nats per byte; NaN (and error()) on error.
  double evaluateBytes(const HeapBuffer& data, double seq) {
    double nats = std::nan("");
    guarded(&error_, [&] {
      LST_CHECK(seq >= 1 && seq <= 1048576 && seq == double(int64_t(seq)), "seq must be an integer in [1, 2^20], got ", seq);
      const auto& bytes = data.bytes();
      nats = evaluate_bytes(model(), bytes.data(), bytes.size(), int64_t(seq)).nats_per_byte;
    });
    return nats;
  }

  // safetensors bytes (F16 weights when `f16`) into saved().
  bool save(bool f16) {
    return guarded(&error_, [&] { saved_ = model().save_safetensors(f16); });
  }
  emscripten::val saved() {
    return emscripten::val(emscripten::typed_memory_view(saved_.size(), saved_.data()));
  }

  std::string configJson() { return model_ ? model_->config().to_json() : std::string(); }
  double numParameters() { return model_ ? double(model_->num_parameters()) : 0.0; }
  int numThreads() { return model_ ? model_->num_threads() : 0; }
  std::string backend() { return model_ ? gemm_backend_name(model_->backend()) : ""; }

  // Frees the model (joins its threads) and every buffer.
  void release() {
    model_.reset();
    std::vector<int32_t>().swap(tokens_);
    std::vector<uint8_t>().swap(mask_);
    std::vector<float>().swap(logits_);
    std::vector<uint8_t>().swap(saved_);
  }
  // Drops scratch buffers (logits, saved file) but keeps the model.
  void releaseOutputs() {
    std::vector<float>().swap(logits_);
    std::vector<uint8_t>().swap(saved_);
  }

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
inline bool backendAvailable(const std::string& name) {
  try {
    return gemm_backend_available(parse_gemm_backend(name.c_str()));
  } catch (...) {
    return false;
  }
}
inline std::string defaultBackend() { return gemm_backend_name(default_gemm_backend()); }
inline int maxThreads() { return ThreadPool::max_supported_threads(); }

}  // namespace lst::wasm

