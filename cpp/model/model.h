// A Long-Short Transformer language model (SPEC 3): the seed's
// LongShortTransformer with its weights, packed GEMMs and thread pool.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernels/gemm.h"
#include "model/attention_layer.h"
#include "model/config.h"
#include "model/weights.h"

namespace lst {

class SafeTensors;
class ThreadPool;

struct ModelOptions {
  GemmBackend backend = default_gemm_backend();
  int num_threads = 1;
};

class Model {
 public:
  Model(const Config& config, Weights weights, const ModelOptions& options = {});
  ~Model();
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;

  // Config from `config_override`, else the file's __metadata__["config"].
  static Model from_safetensors(const SafeTensors& st, const Config* config_override,
                                const ModelOptions& options = {});
  // Config resolution used by from_safetensors (also for a config.json beside
  // the file: callers pass its text as `config_json`).
  static Config resolve_config(const SafeTensors& st, const Config* config_override);

  const Config& config() const { return config_; }
  const Weights& weights() const { return weights_; }
  int64_t num_parameters() const;
  GemmBackend backend() const;
  int num_threads() const;
  ThreadPool& pool() { return *pool_; }

  // tokens: (b, n) ids in [0, num_tokens); mask: (b, n) 1 = real token, or
  // null; logits: (b, n, num_tokens). Rows of the batch are independent
  // (unlike the seed's batched non-causal call, SPEC 6 B1).
  void forward(const int32_t* tokens, const uint8_t* mask, int64_t b, int64_t n, float* logits);

  // Validates ids and shape; throws lst::Error naming the offending entry.
  void check_tokens(const int32_t* tokens, int64_t b, int64_t n) const;

  // Writes the state_dict (F32, or F16 when `f16`) with the config in
  // __metadata__["config"], as the seed's names.
  std::vector<uint8_t> save_safetensors(bool f16 = false) const;

 private:
  struct LayerOps;
  void forward_sequence(const int32_t* tokens, const uint8_t* mask, int64_t n, float* logits);

  Config config_;
  Weights weights_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<GemmContext> gemm_;
  std::vector<LayerOps> layer_ops_;
  std::unique_ptr<Linear> logits_op_;

  // Per-call buffers, grown on demand (linear in n).
  struct Buffers {
    std::vector<float> x, y, qkv, attn, tmp, hidden;
    std::vector<uint8_t> mask;
    AttentionScratch attention;
  } buf_;
};

}  // namespace lst
