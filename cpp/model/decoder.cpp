#include "model/decoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "kernels/activations.h"
#include "kernels/layernorm.h"
#include "kernels/long_short_attention.h"
#include "kernels/rotary.h"

namespace lst {

Decoder::Decoder(Model& model, const DecoderOptions& options) : model_(model), options_(options) {
  const Config& c = model_.config();
  if (options_.reencode_every <= 0) options_.reencode_every = std::max(1, c.max_seq_len / 2);
  LST_CHECK(options_.reencode_every < c.max_seq_len || c.max_seq_len == 1,
            "reencode_every (", options_.reencode_every, ") must be below max_seq_len (",
            c.max_seq_len, ")");
  x_.resize(c.dim);
  y_.resize(c.dim);
  qkv_.resize(2 * c.inner());
  attn_.resize(c.inner());
  tmp_.resize(c.dim);
  hidden_.resize(c.ff_hidden());
  logits_.resize(c.num_tokens);
  cos_.resize(c.dim_head / 2);
  sin_.resize(c.dim_head / 2);
}

void Decoder::set_attention_probe(int layer, int head) {
  const Config& c = model_.config();
  LST_CHECK(layer >= 0 && layer < c.depth, "attention probe: layer ", layer, " out of range [0, ", c.depth, ")");
  LST_CHECK(head >= 0 && head < c.heads, "attention probe: head ", head, " out of range [0, ", c.heads, ")");
  probe_ = AttentionProbe{};
  probe_.layer = layer;
  probe_.head = head;
}

const float* Decoder::prefill(const int32_t* tokens, int64_t n) {
  model_.check_tokens(tokens, 1, n);
  history_.assign(tokens, tokens + n);
  const int64_t msl = model_.config().max_seq_len;
  window_start_ = 0;
  if (n > msl)  // the seed feeds out[-max_seq_len:]
    window_start_ = options_.mode == ContextMode::kExact ? n - msl : n - (msl - options_.reencode_every);
  encode_window();
  return logits_.data();
}

const float* Decoder::step(int32_t token) {
  LST_CHECK(!history_.empty(), "decoder: call prefill() before step()");
  model_.check_tokens(&token, 1, 1);
  const Config& c = model_.config();
  const int64_t msl = c.max_seq_len;
  history_.push_back(token);
  const int64_t ctx = static_cast<int64_t>(history_.size()) - window_start_;
  if (c.causal && cache_valid_ && ctx <= msl) {
    step_incremental(token);
    return logits_.data();
  }
  // Past max_seq_len (or non-causal): positions restart at 0 in a new window.
  const int64_t n = static_cast<int64_t>(history_.size());
  if (ctx > msl)
    window_start_ = options_.mode == ContextMode::kExact ? n - msl : n - (msl - options_.reencode_every);
  encode_window();
  return logits_.data();
}

void Decoder::encode_window() {
  const Config& c = model_.config();
  const int64_t n = static_cast<int64_t>(history_.size()) - window_start_;
  cache_.reset(c);
  // Keep a cache only where incremental steps can follow: causal, and room
  // left before max_seq_len.
  const bool keep = c.causal && n < c.max_seq_len;
  model_.forward_last(history_.data() + window_start_, n, logits_.data(), keep ? &cache_ : nullptr);
  cache_valid_ = keep;
  incremental_ = false;
  probe_.valid = false;
}

void Decoder::step_incremental(int32_t token) {
  const Config& c = model_.config();
  const Weights& w = model_.weights_;
  const int64_t D = c.dim, I = c.inner(), H = c.heads, dh = c.dim_head, W = c.window_size,
                S = c.segment_size, R = c.r, half = dh / 2;
  const int64_t t = cache_.length;  // position of the new token
  const int64_t k = t / W;
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  std::memcpy(x_.data(), &w.token_emb[int64_t(token) * D], D * sizeof(float));

  for (int64_t l = 0; l < c.depth; ++l) {
    const LayerWeights& L = w.layers[l];
    auto& ops = model_.layer_ops_[l];
    LayerCache& lc = cache_.layers[l];
    layernorm_forward(y_.data(), D, x_.data(), D, L.attn_norm_w.data(), L.attn_norm_b.data(), 1, D);
    ops.qkv->run(y_.data(), 1, qkv_.data());
    rotary_tables(cos_.data(), sin_.data(), t, 1, L.rotary_freqs.data(), half);
    rotary_apply(qkv_.data(), 2 * I, 1, 2 * H, dh, cos_.data(), sin_.data(), half);
    for (int64_t i = 0; i < I; ++i) qkv_[i] *= scale;
    const float* kv = qkv_.data() + I;

    // Local keys: drop window k-2 when entering window k, then append t.
    const int64_t keep_from = std::max<int64_t>(0, (k - 1) * W);
    if (lc.local_pos0 < keep_from) {
      lc.local.erase(lc.local.begin(), lc.local.begin() + (keep_from - lc.local_pos0) * I);
      lc.local_pos0 = keep_from;
    }
    const size_t row = lc.local.size();
    lc.local.resize(row + I);
    layernorm_forward(&lc.local[row], dh, kv, dh, L.local_norm_w.data(), L.local_norm_b.data(), H, dh);

    // Segment in progress; project it to r global tokens once complete.
    lc.segment_kv.insert(lc.segment_kv.end(), kv, kv + I);
    if ((t + 1) % S == 0) {
      seg_tokens_.resize(R * dh);
      proj_scratch_.resize(dynamic_projection_scratch(S, R));
      for (int64_t h = 0; h < H; ++h) {
        dynamic_projection(seg_tokens_.data(), dh, lc.segment_kv.data() + h * dh, I, S,
                           L.to_dynamic_proj.data(), R, dh, nullptr, proj_scratch_.data());
        layernorm_forward(seg_tokens_.data(), dh, seg_tokens_.data(), dh, L.global_norm_w.data(),
                          L.global_norm_b.data(), R, dh);
        lc.global[h].insert(lc.global[h].end(), seg_tokens_.begin(), seg_tokens_.end());
      }
      lc.segment_kv.clear();
    }

    // The query sees every completed segment and local positions <= t.
    // A fully masked row cannot occur here (the query sees itself).
    for (int64_t h = 0; h < H; ++h) {
      const size_t G = lc.global[h].size() / dh;
      GlobalKeys gk{lc.global[h].data(), static_cast<size_t>(dh), G, G};
      LocalKeys lk{lc.local.data() + h * dh, static_cast<size_t>(I), lc.local_pos0, (k - 1) * W,
                   static_cast<size_t>(2 * W), t + 1, nullptr, t, L.local_norm_b.data()};
      scores_.resize(G + 2 * W);
      const bool probe = probe_.layer == l && probe_.head == h;
      if (probe) {
        probe_.probs.resize(G + 2 * W);
        probe_.query_pos = t;
        probe_.num_global = static_cast<int64_t>(G);
        probe_.local_first_pos = (k - 1) * W;
        probe_.valid = true;
      }
      attend_long_short_row(attn_.data() + h * dh, qkv_.data() + h * dh, dh, gk, lk, scores_.data(),
                            probe ? probe_.probs.data() : nullptr);
    }
    ops.out->run(attn_.data(), 1, tmp_.data());
    for (int64_t i = 0; i < D; ++i) x_[i] += tmp_[i];
    layernorm_forward(y_.data(), D, x_.data(), D, L.ff_norm_w.data(), L.ff_norm_b.data(), 1, D);
    ops.ff1->run(y_.data(), 1, hidden_.data());
    gelu_forward(hidden_.data(), hidden_.size());
    ops.ff2->run(hidden_.data(), 1, tmp_.data());
    for (int64_t i = 0; i < D; ++i) x_[i] += tmp_[i];
  }
  layernorm_forward(y_.data(), D, x_.data(), D, w.final_norm_w.data(), w.final_norm_b.data(), 1, D);
  model_.logits_op_->run(y_.data(), 1, logits_.data());
  cache_.length = t + 1;
  incremental_ = true;
}

}  // namespace lst
