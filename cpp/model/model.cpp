#include "model/model.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "io/safetensors.h"
#include "kernels/activations.h"
#include "kernels/layernorm.h"
#include "model/decode_cache.h"
#include "runtime/thread_pool.h"

namespace lst {


Model::Model(const Config& config, Weights weights, const ModelOptions& options)
    : config_(config), weights_(std::move(weights)) {
  config_.validate();
  LST_CHECK(gemm_backend_available(options.backend), "GEMM backend '",
            gemm_backend_name(options.backend), "' is not available in this build");
  LST_CHECK(options.num_threads >= 1, "num_threads must be >= 1, got ", options.num_threads);
  pool_ = std::make_unique<ThreadPool>(options.num_threads);
  gemm_ = make_gemm_context(options.backend, *pool_);
  const size_t D = config_.dim, I = config_.inner(), Hd = config_.ff_hidden();
  for (auto& L : weights_.layers) {
    LayerOps ops;
    std::vector<float> wqkv(L.to_q);
    wqkv.insert(wqkv.end(), L.to_kv.begin(), L.to_kv.end());
    ops.qkv = gemm_->make_linear(wqkv.data(), nullptr, D, 2 * I);
    ops.out = gemm_->make_linear(L.to_out_w.data(), L.to_out_b.data(), I, D);
    ops.ff1 = gemm_->make_linear(L.ff1_w.data(), L.ff1_b.data(), D, Hd);
    ops.ff2 = gemm_->make_linear(L.ff2_w.data(), L.ff2_b.data(), Hd, D);
    layer_ops_.push_back(std::move(ops));
  }
  logits_op_ = gemm_->make_linear(weights_.logits_w.data(), weights_.logits_b.data(), D,
                                  config_.num_tokens);
}

Model::~Model() = default;
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;

Config Model::resolve_config(const SafeTensors& st, const Config* config_override) {
  if (config_override) {
    config_override->validate();
    return *config_override;
  }
  auto it = st.metadata().find("config");
  LST_CHECK(it != st.metadata().end(),
            "no model config: the file has no __metadata__ 'config' and none was given "
            "(pass the seed's constructor kwargs, or put a config.json beside the file)");
  return Config::from_json(it->second);
}

Model Model::from_safetensors(const SafeTensors& st, const Config* config_override,
                              const ModelOptions& options) {
  Config c = resolve_config(st, config_override);
  return Model(c, load_weights(st, c), options);
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
                     logits + i * n * config_.num_tokens);
}

void Model::forward_last(const int32_t* tokens, int64_t n, float* last_logits,
                         DecodeCache* cache) {
  check_tokens(tokens, 1, n);
  forward_sequence(tokens, nullptr, n, last_logits, /*last_only=*/true, cache);
}

void Model::forward_sequence(const int32_t* tokens, const uint8_t* mask, int64_t n,
                             float* logits, bool last_only, DecodeCache* cache) {
  const Config& c = config_;
  const int64_t D = c.dim, I = c.inner(), Hd = c.ff_hidden();
  const int64_t N = c.padded_length(n);
  auto& B = buf_;
  B.x.resize(n * D);
  B.y.assign(N * D, 0.0f);  // pad rows stay zero (SPEC 4.1)
  B.qkv.resize(N * 2 * I);
  B.attn.resize(N * I);
  B.tmp.resize(n * D);
  B.hidden.resize(n * Hd);
  // SPEC 4.1: a missing mask is all-true; pad rows are masked.
  B.mask.assign(N, 0);
  for (int64_t t = 0; t < n; ++t) B.mask[t] = mask ? (mask[t] != 0) : 1;

  for (int64_t t = 0; t < n; ++t)
    std::memcpy(&B.x[t * D], &weights_.token_emb[int64_t(tokens[t]) * D], D * sizeof(float));

  for (size_t l = 0; l < layer_ops_.size(); ++l) {
    const LayerWeights& L = weights_.layers[l];
    LayerOps& ops = layer_ops_[l];
    // x = Attn(LN_a(x), mask) + x
    layernorm_forward(B.y.data(), D, B.x.data(), D, L.attn_norm_w.data(), L.attn_norm_b.data(), n, D);
    ops.qkv->run(B.y.data(), n, B.qkv.data());
    std::fill(B.qkv.begin() + n * 2 * I, B.qkv.begin() + N * 2 * I, 0.0f);
    long_short_attention_forward(B.attn.data(), B.qkv.data(), B.mask.data(), N, c, L,
                                 B.attention, *pool_);
    if (cache) cache->capture_layer(l, B.qkv.data(), B.attention, n, N, c);
    ops.out->run(B.attn.data(), n, B.tmp.data());
    for (int64_t i = 0; i < n * D; ++i) B.x[i] += B.tmp[i];
    // x = W2 GELU(W1 LN_f(x) + b1) + b2 + x
    layernorm_forward(B.y.data(), D, B.x.data(), D, L.ff_norm_w.data(), L.ff_norm_b.data(), n, D);
    ops.ff1->run(B.y.data(), n, B.hidden.data());
    gelu_forward(B.hidden.data(), n * Hd);
    ops.ff2->run(B.hidden.data(), n, B.tmp.data());
    for (int64_t i = 0; i < n * D; ++i) B.x[i] += B.tmp[i];
  }
  const int64_t first = last_only ? n - 1 : 0, rows = n - first;
  layernorm_forward(B.y.data(), D, &B.x[first * D], D, weights_.final_norm_w.data(),
                    weights_.final_norm_b.data(), rows, D);
  logits_op_->run(B.y.data(), rows, logits);
  if (cache) cache->length = n;
}

std::vector<uint8_t> Model::save_safetensors(bool f16) const {
  return state_dict_file(weights_, config_, f16).serialize();
}

}  // namespace lst
