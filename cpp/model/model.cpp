#include "model/model.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/error.h"
#include "io/safetensors.h"
#include "kernels/layernorm.h"
#include "runtime/thread_pool.h"

namespace lst {


Model::Model(const Config& config, Weights weights, const ModelOptions& options)
    : Model(config, std::move(weights), StoredMatrices{}, options) {}

Model::Model(const Config& config, Weights weights, StoredMatrices stored,
             const ModelOptions& options)
    : config_(config), weights_(std::move(weights)), stored_(std::move(stored)) {
  config_.validate();
  if (options.weight_format && *options.weight_format != WeightFormat::kF32) {
    LST_CHECK(stored_.empty(), "Model: weights already stored as ", stored_.format_name(),
              "; convert them on load (load_stored_weights) instead");
    stored_ = store_matrices(weights_, config_, *options.weight_format);
  }
  stored_.layers.resize(config_.depth);
  LST_CHECK(gemm_backend_available(options.backend), "GEMM backend '",
            gemm_backend_name(options.backend), "' is not available in this build");
  if (options.pool) {
    pool_ = options.pool;
  } else {
    ThreadPool::check_thread_count(options.num_threads);
    own_pool_ = std::make_unique<ThreadPool>(options.num_threads);
    pool_ = own_pool_.get();
  }
  gemm_ = make_gemm_context(options.backend, *pool_);
  const size_t D = config_.dim, I = config_.inner(), Hd = config_.ff_hidden();
  // A stored matrix (f16, int8) runs on the quantised kernels, an f32 one
  // is packed by the backend from Weights, as before those formats existed.
  auto linear = [&](const std::shared_ptr<const WeightMatrix>& m, const std::vector<float>& w,
                    const float* bias, size_t in, size_t out) {
    return m ? gemm_->make_linear(m, bias) : gemm_->make_linear(w.data(), bias, in, out);
  };
  for (size_t l = 0; l < weights_.layers.size(); ++l) {
    const auto& L = weights_.layers[l];
    const auto& S = stored_.layers[l];
    LayerLinears ops;
    if (S.qkv) {
      ops.qkv = gemm_->make_linear(S.qkv, nullptr);
    } else {
      std::vector<float> wqkv(L.to_q);
      wqkv.insert(wqkv.end(), L.to_kv.begin(), L.to_kv.end());
      ops.qkv = gemm_->make_linear(wqkv.data(), nullptr, D, 2 * I);
    }
    ops.out = linear(S.out, L.to_out_w, L.to_out_b.data(), I, D);
    ops.ff1 = linear(S.ff1, L.ff1_w, L.ff1_b.data(), D, Hd);
    ops.ff2 = linear(S.ff2, L.ff2_w, L.ff2_b.data(), Hd, D);
    layer_linears_.push_back(std::move(ops));
  }
  logits_linear_ = linear(stored_.logits, weights_.logits_w, weights_.logits_b.data(), D,
                          config_.num_tokens);
}

Model::~Model() = default;
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;

namespace {
// A file holding layers the config does not have would load as a shallower
// model, silently (PyTorch's load_state_dict refuses the unexpected keys).
void check_layers_in_file(const SafeTensors& st, const Config& c) {
  for (const std::string& name : st.names()) {
    if (name.rfind("layers.", 0) != 0) continue;
    const long long layer = std::strtoll(name.c_str() + 7, nullptr, 10);
    LST_CHECK(layer < c.depth, "weights: the file holds tensor '", name.size() > 80 ? name.substr(0, 77) + "..." : name,
              "' but the config has depth ", c.depth, " (the config does not match the file)");
  }
}
}  // namespace

Config Model::resolve_config(const SafeTensors& st, const Config* config_override) {
  Config c;
  if (config_override) {
    config_override->validate();
    c = *config_override;
  } else {
    auto it = st.metadata().find("config");
    LST_CHECK(it != st.metadata().end(),
              "no model config: the file has no __metadata__ 'config' and none was given "
              "(pass the reference package's constructor kwargs, or put a config.json beside the file)");
    c = Config::from_json(it->second);
  }
  check_layers_in_file(st, c);
  return c;
}

Config Model::resolve_config(const SafeTensors& st, const std::string& config_json) {
  if (config_json.empty()) return resolve_config(st, nullptr);
  const Config given = Config::from_json(config_json);
  return resolve_config(st, &given);
}

Model Model::from_safetensors(const SafeTensors& st, const Config* config_override,
                              const ModelOptions& options) {
  Config c = resolve_config(st, config_override);
  LoadedWeights w = load_stored_weights(st, c, options.weight_format);
  ModelOptions o = options;
  o.weight_format.reset();  // applied on load
  return Model(c, std::move(w.weights), std::move(w.stored), o);
}

int64_t Model::num_parameters() const { return count_parameters(config_); }
GemmBackend Model::backend() const { return gemm_->backend(); }
int Model::num_threads() const { return pool_->num_threads(); }

void Model::check_tokens(const int32_t* tokens, int64_t b, int64_t n) const {
  LST_CHECK(b >= 1 && n >= 1, "tokens must have shape [b, n] with b, n >= 1, got [", b, ", ", n, "]");
  for (int64_t i = 0; i < b * n; ++i)
    LST_CHECK(tokens[i] >= 0 && tokens[i] < config_.num_tokens, "token id ", tokens[i],
              " at [", i / n, ", ", i % n, "] is out of range [0, ", config_.num_tokens, ")");
}

void Model::forward(const int32_t* tokens, const uint8_t* mask, int64_t b, int64_t n,
                    float* logits) {
  check_tokens(tokens, b, n);
  for (int64_t i = 0; i < b; ++i)
    forward_sequence(tokens + i * n, mask ? mask + i * n : nullptr, n,
                     logits + i * n * config_.num_tokens, /*last_only=*/false);
}

void Model::forward_last(const int32_t* tokens, int64_t n, float* last_logits) {
  check_tokens(tokens, 1, n);
  forward_sequence(tokens, nullptr, n, last_logits, /*last_only=*/true);
}

void Model::forward_cached(const int32_t* tokens, int64_t n, DecodeCache& cache,
                           float* last_logits, AttentionProbe* probe) {
  const Config& c = config_;
  LST_CHECK(c.causal, "forward_cached: a non-causal model has no incremental decoding");
  check_tokens(tokens, 1, n);
  if (cache.length == 0) cache.reset(c);
  LST_CHECK(cache.layers.size() == static_cast<size_t>(c.depth), "forward_cached: the cache has ",
            cache.layers.size(), " layers, the model ", c.depth);
  // A long prompt goes through in chunks of rows, each through every layer:
  // a layer's cache then holds O(chunk + w) rows at any time, not the whole
  // prompt. A chunk is only a set of rows of the one forward (the score
  // layout of a row does not depend on its neighbours): same logits.
  constexpr int64_t kPrefillChunk = 2048;
  for (int64_t at = 0; at < n;) {
    // No pad rows: a pad row only reaches a real row through a fully masked
    // row (docs/SPEC.md §4.8), which an unmasked causal sequence does not have.
    LayerRows rows;
    rows.pos0 = cache.length;
    rows.rows = std::min(kPrefillChunk, n - at);
    const bool last = at + rows.rows == n;
    forward_rows(tokens + at, rows, &cache, last ? last_logits : nullptr, /*last_only=*/true,
                 last ? probe : nullptr);
    cache.length += rows.rows;
    at += rows.rows;
    for (auto& layer : cache.layers) layer.drop_unreachable(cache.length, c);
  }
}

void Model::forward_sequence(const int32_t* tokens, const uint8_t* mask, int64_t n,
                             float* logits, bool last_only) {
  const int64_t N = config_.padded_length(n);
  // docs/SPEC.md §4.1: a missing mask is all-true; pad rows are masked.
  buf_.mask.assign(N, 0);
  for (int64_t t = 0; t < n; ++t) buf_.mask[t] = mask ? (mask[t] != 0) : 1;
  LayerRows rows;
  rows.rows = n;
  rows.pad_rows = N - n;
  rows.mask = buf_.mask.data();
  forward_rows(tokens, rows, nullptr, logits, last_only, nullptr);
}

void Model::forward_rows(const int32_t* tokens, const LayerRows& rows, DecodeCache* cache,
                         float* logits, bool last_only, AttentionProbe* probe) {
  const int64_t D = config_.dim, n = rows.rows;
  auto& buf = buf_;
  buf.x.resize(n * D);
  for (int64_t t = 0; t < n; ++t) {
    if (stored_.token_emb)
      stored_.token_emb->row_to_f32(tokens[t], &buf.x[t * D]);
    else
      std::memcpy(&buf.x[t * D], &weights_.token_emb[int64_t(tokens[t]) * D], D * sizeof(float));
  }
  for (size_t l = 0; l < layer_linears_.size(); ++l) {
    LayerKeyValues* keys = &buf.keys;
    if (cache)
      keys = &cache->layers[l];
    else
      buf.keys.clear();
    AttentionProbe* layer_probe = probe && probe->layer == static_cast<int>(l) ? probe : nullptr;
    transformer_layer_forward(buf.x.data(), rows, config_, weights_.layers[l], layer_linears_[l],
                              *keys, buf.layer, *pool_, layer_probe);
  }
  if (!logits) return;  // a prefill chunk before the last
  const int64_t first = last_only ? n - 1 : 0, count = n - first;
  buf.y.resize(count * D);
  layernorm_forward(buf.y.data(), D, &buf.x[first * D], D, weights_.final_norm_w.data(),
                    weights_.final_norm_b.data(), count, D);
  logits_linear_->run(buf.y.data(), count, logits);
}

std::vector<uint8_t> Model::save_safetensors(bool f16) const {
  if (stored_.empty()) return state_dict_file(weights_, config_, f16).serialize();
  return save_safetensors(f16 ? WeightFormat::kF16 : WeightFormat::kF32);
}

std::vector<uint8_t> Model::save_safetensors(WeightFormat format) const {
  return stored_state_dict_file(weights_, stored_, config_, format).serialize();
}

}  // namespace lst
