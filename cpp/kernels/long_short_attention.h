// The two attention kernels of a Transformer-LS layer, per head:
//  - dynamic_projection: the long-term branch (paper eq. 3; SPEC 4.6) that
//    summarises a block of keys into r global tokens;
//  - attend_long_short_row: one query's softmax over [global | local] keys
//    and the weighted sum of the same vectors as values (SPEC 4.7-4.9).
// Raw pointers and strides, no allocation: callers pass scratch.
#pragma once
#include <cstddef>
#include <cstdint>

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

// The global keys one query sees: the first `visible` of `count` rows.
struct GlobalKeys {
  const float* rows;  // (count, dh), already LayerNorm_global-ed
  size_t stride;
  size_t count;
  size_t visible;
};

// The local slots of one query: `count` consecutive positions starting at
// first_pos (possibly negative). A slot is masked when its position is outside
// [0, seq_len), its mask byte is 0, or it is after last_visible (causal).
// Out-of-range slots hold `oob_key` (local_norm.bias: the LayerNorm of the
// seed's -1 padding).
struct LocalKeys {
  const float* rows;  // key of position p at rows + (p - rows_pos0) * stride
  size_t stride;
  int64_t rows_pos0;
  int64_t first_pos;
  size_t count;
  int64_t seq_len;
  const uint8_t* mask;  // indexed by position - rows_pos0; null = all real
  int64_t last_visible;
  const float* oob_key;
};

// out (dh) = softmax([q·g ; q·l]) · [g ; l]. Masked scores are -FLT_MAX, so a
// row with no visible key becomes the uniform average over every slot.
// scratch: g.count + l.count floats. probs (optional): receives the
// attention weights in the same [global | local] order.
void attend_long_short_row(float* out, const float* q, size_t dh, const GlobalKeys& g,
                           const LocalKeys& l, float* scratch, float* probs = nullptr);

// A block of consecutive queries (one local window) of one head. All rows
// share the candidate keys: the first g.visible global rows (the most any row
// of the block sees) and the local slots of `l`; per row, global columns past
// global_visible[i] are masked, and with `causal` so are local keys after the
// query. The scores are GEMMs (q·K^T, then P·V), one softmax per row.
struct QueryBlock {
  const float* q;  // (count, dh), stride
  size_t stride;
  int64_t t0;      // position of row 0
  size_t count;
  const size_t* global_visible;  // (count) or null = g.visible for every row
  bool causal;
};

// out: (count, dh) stride out_stride. global_sum: (dh) sum of all g.count
// global rows (used only by fully masked rows). scratch:
// attend_block_scratch(count, g.visible, l.count) floats.
void attend_long_short_block(float* out, size_t out_stride, const QueryBlock& qb, size_t dh,
                             const GlobalKeys& g, const LocalKeys& l, const float* global_sum,
                             float* scratch);
size_t attend_block_scratch(size_t count, size_t global_cols, size_t local_slots);

}  // namespace lst
