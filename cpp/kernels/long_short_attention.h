// The two attention kernels of a Transformer-LS layer, per head:
//  - dynamic_projection: the long-term branch (paper eq. 3; docs/SPEC.md §4.6) that
//    summarises a block of keys into r global tokens;
//  - attend_long_short: the softmax of a window's queries over [global |
//    local] keys and the weighted sum of the same vectors as values
//    (docs/SPEC.md §4.7-4.9). It serves a whole window of a full forward and the one
//    new row of a decode step alike: the keys are a view (pointers into a
//    full sequence's buffers or into the decode cache), and which keys a
//    query sees is decided by AttentionRule, here only.
// Raw pointers and strides, no allocation: callers pass scratch.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "kernels/dropout.h"

namespace lst {

// Global tokens of one block of `rows` keys:
//   p = kv · Wp^T (rows, r); rows with row_mask[i] == 0 get -FLT_MAX;
//   softmax over the rows, per column; out[c, :] = sum_i p[i, c] kv[i, :].
// A fully masked block gets weights 1/rows (the seed's behaviour).
// kv: (rows, dh) stride kv_stride; Wp: (r, dh); out: (r, dh) stride out_stride;
// row_mask: (rows) or null = all real; scratch: dynamic_projection_scratch(rows, r).
void dynamic_projection(float* out, size_t out_stride, const float* kv, size_t kv_stride,
                        size_t rows, const float* Wp, size_t r, size_t dh,
                        const uint8_t* row_mask, float* scratch);
size_t dynamic_projection_scratch(size_t rows, size_t r);

// Which keys a query at position t attends to (docs/SPEC.md §4.5 and 4.8). Every
// caller (full forward, decode step, the tests' scalar twin) asks this rule.
struct AttentionRule {
  bool causal = true;
  int64_t window = 1;        // w
  int64_t segment_size = 1;  // s (causal)
  int64_t r = 1;             // global tokens per segment (causal)

  // Local slots of a query in window k = t / w: the windows k-1, k (and k+1
  // when non-causal), starting at position local_first(t) (may be < 0).
  int64_t local_first(int64_t t) const { return (t / window - 1) * window; }
  size_t local_slots() const { return static_cast<size_t>((causal ? 2 : 3) * window); }
  // An in-range, unmasked local key at position p is visible to query t.
  bool local_visible(int64_t p, int64_t t) const { return !causal || p <= t; }
  // Global tokens (of `count`, segment-major) visible to query t: all of
  // them non-causal; causal, segment g once t >= (g+1)*s - 1, all r tokens of
  // a segment together.
  size_t global_visible(int64_t t, size_t count) const {
    if (!causal) return count;
    return std::min(count, static_cast<size_t>((t + 1) / segment_size * r));
  }
  // Global score columns of the queries of t's window: as many as its last
  // row sees, whether or not those tokens exist yet (a decode step runs
  // before the window's later segments are complete). The layout, hence the
  // softmax's summation order, is then the same for a row computed alone
  // and within its window: decode logits equal a full forward's bit for bit.
  size_t global_columns(int64_t t, size_t count) const {
    if (!causal) return count;
    return static_cast<size_t>((t / window + 1) * window / segment_size * r);
  }
};

// The global tokens a window's queries may see (LayerNorm_global-ed).
struct GlobalKeys {
  const float* rows;  // (count, dh) stride
  size_t stride;
  size_t count;       // tokens that exist (all of them enter a uniform row)
};

// The local keys (LayerNorm_local-ed) by position: the key of position p is
// rows + (p - rows_pos0) * stride for p in [rule.local_first(t), seq_len).
// Slots outside [0, seq_len) are masked and hold `oob_key` in a uniform row
// (local_norm.bias: the LayerNorm of the seed's -1 padding).
struct LocalKeys {
  const float* rows;
  size_t stride;
  int64_t rows_pos0;
  int64_t seq_len;      // positions < seq_len have keys
  const uint8_t* mask;  // mask of position p at mask[p - rows_pos0], 1 = real; null = all real
  const float* oob_key; // (dh)
};

// Consecutive queries of ONE local window (t0 / w == (t0 + count - 1) / w):
// a whole window in a full forward, the new row in a decode step.
struct QueryBlock {
  const float* q;  // (count, dh), stride; already rotated and scaled
  size_t stride;
  int64_t t0;      // position of row 0
  size_t count;
};

// What a training forward asks of the kernel beyond the output
// (train/attention_train.cpp): the softmax statistics its backward
// recomputes the weights from, and the attention dropout of the seed's
// attn_dropout (applied to the weights after the softmax).
struct AttentionTrainingSink {
  float* lse = nullptr;  // (count) max + log(sum exp) per row; -inf for a uniform row
  const DropoutRow* dropout = nullptr;
  // Dropout unit of row t's weight on global token j: t * unit_stride + j;
  // on local slot c: t * unit_stride + global_units + c.
  uint64_t unit_stride = 0, global_units = 0;
};

// out (count, dh) stride out_stride: per row, softmax over the scores
// [q·g (global_columns) | q·l (local_slots)] with every key the rule hides
// at -FLT_MAX, times the same vectors. The scores are GEMMs (q·K^T, then
// P·V), one softmax per row. A row with no visible key is the uniform
// average over every slot (docs/SPEC.md §4.8): all g.count global tokens, the local
// keys in range and oob_key for the rest.
// scratch, and probs (optional: each row's attention weights in the score
// layout): attend_long_short_scratch(rule, qb, g) floats.
void attend_long_short(float* out, size_t out_stride, const QueryBlock& qb, size_t dh,
                       const GlobalKeys& g, const LocalKeys& l, const AttentionRule& rule,
                       float* scratch, float* probs = nullptr,
                       const AttentionTrainingSink* training = nullptr);
size_t attend_long_short_scratch(const AttentionRule& rule, const QueryBlock& qb,
                                 const GlobalKeys& g);

}  // namespace lst
