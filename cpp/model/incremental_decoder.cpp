#include "model/incremental_decoder.h"

#include <algorithm>

#include "core/error.h"

namespace lst {

IncrementalDecoder::IncrementalDecoder(Model& model, const DecoderOptions& options) : model_(model), options_(options) {
  const Config& c = model_.config();
  if (options_.reencode_every <= 0) options_.reencode_every = std::max(1, c.max_seq_len / 2);
  LST_CHECK(options_.reencode_every < c.max_seq_len || c.max_seq_len == 1,
            "reencode_every (", options_.reencode_every, ") must be below max_seq_len (",
            c.max_seq_len, ")");
  logits_.resize(c.num_tokens);
}

int64_t IncrementalDecoder::window_kept() const {
  const int64_t msl = model_.config().max_seq_len;
  if (options_.mode == ContextMode::kExact) return msl;
  // Re-encode mode leaves room for reencode_every new tokens; at least the
  // newest token stays (max_seq_len 1 re-encodes it alone, as exact mode).
  return std::max<int64_t>(1, msl - options_.reencode_every);
}

void IncrementalDecoder::set_attention_probe(int layer, int head) {
  const Config& c = model_.config();
  LST_CHECK(layer >= 0 && layer < c.depth, "attention probe: layer ", layer, " out of range [0, ", c.depth, ")");
  LST_CHECK(head >= 0 && head < c.heads, "attention probe: head ", head, " out of range [0, ", c.heads, ")");
  probe_ = AttentionProbe{};
  probe_.layer = layer;
  probe_.head = head;
}

const float* IncrementalDecoder::prefill(const int32_t* tokens, int64_t n) {
  model_.check_tokens(tokens, 1, n);
  history_.assign(tokens, tokens + n);
  const int64_t msl = model_.config().max_seq_len;
  window_start_ = 0;
  if (n > msl)  // the reference package feeds out[-max_seq_len:]
    window_start_ = n - window_kept();
  encode_window();
  return logits_.data();
}

const float* IncrementalDecoder::step(int32_t token) {
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
  if (ctx > msl) window_start_ = n - window_kept();
  encode_window();
  return logits_.data();
}

void IncrementalDecoder::encode_window() {
  const Config& c = model_.config();
  const int64_t n = static_cast<int64_t>(history_.size()) - window_start_;
  cache_.reset(c);
  // Keep a cache only where incremental steps can follow: causal, and room
  // left before max_seq_len.
  const bool keep = c.causal && n < c.max_seq_len;
  if (keep)
    model_.forward_cached(history_.data() + window_start_, n, cache_, logits_.data());
  else
    model_.forward_last(history_.data() + window_start_, n, logits_.data());
  cache_valid_ = keep;
  incremental_ = false;
  probe_.valid = false;
}

void IncrementalDecoder::step_incremental(int32_t token) {
  const bool probing = probe_.layer >= 0;
  model_.forward_cached(&token, 1, cache_, logits_.data(), probing ? &probe_ : nullptr);
  probe_.valid = probing;
  incremental_ = true;
}

}  // namespace lst
