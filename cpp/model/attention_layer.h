// One Transformer-LS attention layer (docs/SPEC.md §4), from the normalised input's
// q/kv projections to the heads' outputs, for the new rows of one call: a
// whole (padded) sequence in a full forward, one row in a decode step. The
// keys of earlier positions come from, and the new rows' keys go to, a
// LayerKeyValues. The caller runs the q/kv and to_out GEMMs.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/long_short_attention.h"
#include "model/config.h"
#include "model/layer_key_values.h"
#include "model/weights.h"

namespace lst {

class ThreadPool;

// The rows one layer call computes, as data (docs/SPEC.md §3, 4.1): a full forward
// computes positions [0, n) and pads them to N; a decode step computes the
// one new position t against the keys kept from before.
struct LayerRows {
  int64_t pos0 = 0;               // position of the first new row
  int64_t rows = 0;               // new rows with a token
  int64_t pad_rows = 0;           // zero rows after them, masked (docs/SPEC.md §4.1)
  const uint8_t* mask = nullptr;  // (pos0 + rows + pad_rows) by position, 1 = real; null = all real
  int64_t end() const { return pos0 + rows + pad_rows; }
};

// The attention weights of the latest row for one (layer, head), in the
// order of the scores: [global tokens | local slots].
struct AttentionProbe {
  int layer = -1, head = -1;
  bool valid = false;           // false after a full-recompute step
  int64_t query_pos = 0;        // position of the latest token in the window
  int64_t num_global = 0;       // global slots (completed segments * r)
  int64_t local_first_pos = 0;  // position of local slot 0 (may be negative)
  std::vector<float> probs;     // num_global + 2w
};

// Buffers of one call, sized for its new rows.
struct AttentionScratch {
  std::vector<float> cos_t, sin_t;  // (new rows, dh/2)
  std::vector<float> probs;         // the probed row's weights in the score layout
};

// The visibility rule of this config (docs/SPEC.md §4.5, 4.8).
AttentionRule attention_rule(const Config& c);

// qkv: (rows.end() - rows.pos0, 2*inner) rows [q | kv] straight from the
// fused projection (pad rows zero); rotated and scaled in place. Appends the
// new rows' keys (and the global tokens of the segments they complete) to
// `kv`, which holds the keys of positions before rows.pos0.
// out: (rows.end() - rows.pos0, inner) heads concatenated.
// probe: records the last row's weights for probe->head, or null.
void long_short_attention_forward(float* out, float* qkv, const LayerRows& rows, const Config& c,
                                  const LayerWeights& w, LayerKeyValues& kv, AttentionScratch& s,
                                  ThreadPool& pool, AttentionProbe* probe = nullptr);

}  // namespace lst
