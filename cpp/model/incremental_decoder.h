// Token-by-token decoding for generation (docs/SPEC.md §5). A causal model decodes
// incrementally from a DecodeCache, through the model's one layer forward
// (Model::forward_cached): each new token costs O(w + n/s * r) attention
// plus one GEMV per weight matrix, with the logits of a full forward pass
// bit for bit. Past max_seq_len the reference package re-encodes the last max_seq_len
// tokens with positions restarting at 0, every step (kExact, the default);
// kReencode re-encodes only every `reencode_every` tokens (faster, not exact).
#pragma once
#include <cstdint>
#include <vector>

#include "model/decode_cache.h"
#include "model/model.h"

namespace lst {

enum class ContextMode { kExact, kReencode };

struct DecoderOptions {
  ContextMode mode = ContextMode::kExact;
  int reencode_every = 0;  // kReencode: tokens between re-encodes; 0 = max_seq_len / 2
};

class IncrementalDecoder {
 public:
  explicit IncrementalDecoder(Model& model, const DecoderOptions& options = {});

  // Starts a sequence from a prompt (n >= 1); returns the logits
  // (num_tokens) of the next token. Valid until the next call.
  const float* prefill(const int32_t* tokens, int64_t n);
  // Appends a token; returns the logits of the next token.
  const float* step(int32_t token);

  const std::vector<int32_t>& tokens() const { return history_; }
  int vocab_size() const { return model_.config().num_tokens; }
  Model& model() { return model_; }
  // Tokens the latest logits were computed from (<= max_seq_len in kExact).
  int64_t context_length() const { return static_cast<int64_t>(history_.size()) - window_start_; }
  bool last_step_was_incremental() const { return incremental_; }

  // Records attention weights of (layer, head) on incremental steps.
  void set_attention_probe(int layer, int head);
  const AttentionProbe& attention_probe() const { return probe_; }

 private:
  void encode_window();          // full forward over history_[window_start_:]
  int64_t window_kept() const;   // tokens a new window starts with (past max_seq_len)
  void step_incremental(int32_t token);

  Model& model_;
  DecoderOptions options_;
  DecodeCache cache_;
  bool cache_valid_ = false, incremental_ = false;
  std::vector<int32_t> history_;
  int64_t window_start_ = 0;
  AttentionProbe probe_;
  std::vector<float> logits_;  // (num_tokens) of the next token
};

}  // namespace lst
