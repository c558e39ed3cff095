// The seed's constructor keyword arguments (docs/SPEC.md §1), validated.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace lst {

// Limits checked before anything is allocated (Config::validate).
constexpr int kMaxDepth = 4096;
constexpr int kMaxPadMultiple = 1 << 16;
constexpr size_t kMaxJsonBytes = 1 << 16;
#ifdef __EMSCRIPTEN__
constexpr int64_t kMaxParameters = int64_t(1) << 30;   // 4 GB of float32: the whole wasm32 heap
#else
constexpr int64_t kMaxParameters = int64_t(1) << 32;   // 16 GB of float32
#endif

struct Config {
  int num_tokens = 0;   // vocabulary size (required)
  int dim = 0;          // model width (required)
  int depth = 0;        // layers (required)
  int max_seq_len = 0;  // context used by generation (required)
  int window_size = 128;
  bool causal = true;
  int dim_head = 64;
  int heads = 8;
  int ff_mult = 4;
  int segment_size = 16;  // causal only; 0 when non-causal (the seed's None)
  int r = 1;              // causal: tokens per segment; non-causal: global tokens
  // Training only (docs/SPEC.md §5.4): inference ignores them, == too.
  double ff_dropout = 0;   // on the feed-forward's GELU output
  double attn_dropout = 0; // on the attention weights

  int inner() const { return heads * dim_head; }
  int ff_hidden() const { return dim * ff_mult; }
  // Pad multiple P (docs/SPEC.md §1): w non-causal, lcm(w, s) causal.
  int pad_multiple() const;
  // Padded length N = ceil(n / P) * P.
  int64_t padded_length(int64_t n) const;

  // Throws lst::Error naming the first bad field.
  void validate() const;

  // JSON of the seed's kwargs. Missing optional keys take the seed's
  // defaults, which depend on `causal` (segment_size 16/None, r 1/128).
  static Config from_json(const std::string& json_text);
  std::string to_json() const;

  // Same function at inference (dropout rates are not compared).
  bool operator==(const Config& o) const;
};

}  // namespace lst
