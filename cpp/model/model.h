// A Long-Short Transformer language model (docs/SPEC.md §3): the reference package's
// LongShortTransformer with its weights, packed GEMMs and thread pool.
// One call at a time per Model (it reuses its buffers and thread pool); use
// one Model per thread to run several concurrently. The pool is the model's
// own, or borrowed from its owner (ModelOptions::pool).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernels/gemm.h"
#include "model/config.h"
#include "model/decode_cache.h"
#include "model/stored_weights.h"
#include "model/transformer_layer.h"
#include "model/weights.h"

namespace lst {

class SafeTensors;
class ThreadPool;

struct ModelOptions {
  // A constructor, not an aggregate: callers' ModelOptions{backend, threads}
  // must not warn about the fields added since (-Wmissing-field-initializers).
  ModelOptions() = default;
  ModelOptions(GemmBackend b, int threads, ThreadPool* caller_pool = nullptr,
               std::optional<WeightFormat> format = std::nullopt)
      : backend(b), num_threads(threads), pool(caller_pool), weight_format(format) {}
  GemmBackend backend = default_gemm_backend();
  int num_threads = 1;         // the threads of the pool the model makes when `pool` is null
  // The caller's pool (it must outlive the model), e.g. the trainer's: one set
  // of threads for everything its owner runs. num_threads is then the pool's.
  ThreadPool* pool = nullptr;
  // The format the matrices are kept and computed in (stored_weights.h).
  // Unset: as given (a file's F16 stays f16, its int8 int8, F32 f32; the
  // f32 Weights of the constructor stay f32). Set: converted to it on load
  // (f32: the widening every file had before quantised formats).
  std::optional<WeightFormat> weight_format;
};

class Model {
 public:
  Model(const Config& config, Weights weights, const ModelOptions& options = {});
  // Weights whose matrices are (partly) in `stored` (their Weights vectors empty).
  Model(const Config& config, Weights weights, StoredMatrices stored,
        const ModelOptions& options = {});
  ~Model();
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;

  // Config from `config_override`, else the file's __metadata__["config"].
  static Model from_safetensors(const SafeTensors& st, const Config* config_override,
                                const ModelOptions& options = {});
  // Config resolution used by from_safetensors (also for a config.json beside
  // the file: callers pass its text as `config_json`).
  static Config resolve_config(const SafeTensors& st, const Config* config_override);
  // The same with the caller's config as JSON ("" = none): what every front end has.
  static Config resolve_config(const SafeTensors& st, const std::string& config_json);

  const Config& config() const { return config_; }
  // The f32 parameters; a matrix kept in a storage format has an empty vector
  // here and lives in stored_matrices().
  const Weights& weights() const { return weights_; }
  const StoredMatrices& stored_matrices() const { return stored_; }
  // "f32", "f16", "int8" (or "mixed"): the format the matrices are computed in.
  std::string weight_format() const { return stored_.format_name(); }
  int64_t num_parameters() const;
  GemmBackend backend() const;
  int num_threads() const;
  ThreadPool& pool() { return *pool_; }

  // tokens: (b, n) ids in [0, num_tokens); mask: (b, n) 1 = real token, or
  // null; logits: (b, n, num_tokens). Rows of the batch are independent
  // (unlike the reference package's batched non-causal call, docs/SPEC.md §6 B1).
  void forward(const int32_t* tokens, const uint8_t* mask, int64_t b, int64_t n, float* logits);

  // Validates ids and shape; throws lst::Error naming the offending entry.
  void check_tokens(const int32_t* tokens, int64_t b, int64_t n) const;

  // One sequence (n tokens, positions 0..n-1, no mask): the logits of the
  // last position only (num_tokens floats).
  void forward_last(const int32_t* tokens, int64_t n, float* last_logits);

  // Causal only: appends n tokens at positions cache.length .. + n - 1 to the
  // sequence whose keys `cache` holds, with the same layer forward as a full
  // pass (a fresh cache: a prefill; one token: a decode step), and keeps in
  // the cache what later positions read. last_logits: (num_tokens) of the
  // last new token, bit for bit those of a full forward over the sequence.
  // probe: records the last token's attention weights for (probe->layer,
  // probe->head), or null.
  void forward_cached(const int32_t* tokens, int64_t n, DecodeCache& cache, float* last_logits,
                      AttentionProbe* probe = nullptr);

  // Writes the state_dict (F32, or F16 when `f16`) with the config in
  // __metadata__["config"], as the reference package's names.
  std::vector<uint8_t> save_safetensors(bool f16 = false) const;
  // The same with every matrix in `format` (int8: I8 + ".qscale" tensors,
  // stored_weights.h); f32 from an int8 model dequantises (for PyTorch).
  std::vector<uint8_t> save_safetensors(WeightFormat format) const;

 private:
  // One sequence, padded (docs/SPEC.md §4.1): logits (n, V), or (1, V) of the last row.
  void forward_sequence(const int32_t* tokens, const uint8_t* mask, int64_t n, float* logits,
                        bool last_only);
  // tokens (rows.rows) at positions rows.pos0..: embedding, every layer, final
  // LayerNorm and logits. Layer l reads and extends cache->layers[l], or a
  // scratch LayerKeyValues when cache is null. logits: (rows.rows, V), or
  // (1, V) of the last row when last_only, or null (none).
  void forward_rows(const int32_t* tokens, const LayerRows& rows, DecodeCache* cache,
                    float* logits, bool last_only, AttentionProbe* probe);

  Config config_;
  Weights weights_;
  StoredMatrices stored_;
  std::unique_ptr<ThreadPool> own_pool_;  // when the options give none
  ThreadPool* pool_ = nullptr;            // own_pool_ or the caller's
  std::unique_ptr<GemmContext> gemm_;
  std::vector<LayerLinears> layer_linears_;
  std::unique_ptr<Linear> logits_linear_;

  // Per-call buffers, grown on demand (linear in n).
  struct Buffers {
    std::vector<float> x, y;     // (n, dim) residual stream, final LayerNorm
    std::vector<uint8_t> mask;   // (N) padded mask
    LayerKeyValues keys;         // a full forward's keys, one layer at a time
    LayerScratch layer;
  } buf_;
};

}  // namespace lst
