// The keys and values one layer's attention reads, by position (docs/SPEC.md §4.5,
// 4.6): the LayerNorm_local-ed keys, the rotated raw keys the dynamic
// projection summarises, and the global tokens of the projected segments.
// A full forward fills one for its whole (padded) sequence; the decoder keeps
// one per layer between tokens, and the same layer forward appends to it
// (model/transformer_layer.h). Keys are values (tied to_kv, docs/SPEC.md §2).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/config.h"

namespace lst {

struct LayerKeyValues {
  int64_t end = 0;             // positions [.., end) have keys
  int64_t local_pos0 = 0;      // first position kept in `local`
  std::vector<float> local;    // (end - local_pos0, inner)  LayerNorm_local(rotated kv)
  int64_t raw_pos0 = 0;        // first position kept in `raw`
  std::vector<float> raw;      // (end - raw_pos0, inner)  rotated kv, before any norm
  // Per head: (global_count, dh) LayerNorm_global-ed tokens, segment-major;
  // contiguous per head, so that the attention GEMMs read them with stride dh.
  std::vector<std::vector<float>> global;

  size_t global_count(const Config& c) const {
    return global.empty() ? 0 : global[0].size() / c.dim_head;
  }
  // Room for `count` global tokens per head (the new ones zero).
  void resize_global(size_t count, const Config& c);
  float* local_row(int64_t pos, const Config& c) { return &local[(pos - local_pos0) * c.inner()]; }
  float* raw_row(int64_t pos, const Config& c) { return &raw[(pos - raw_pos0) * c.inner()]; }

  // Empty, positions from 0 (keeps the capacity).
  void clear();
  // Makes room for the keys of positions [end, new_end).
  void extend(int64_t new_end, const Config& c);
  // Forgets the rows no query at a position >= `next` reads: local keys
  // before window next/w - 1, raw keys before the segment of `next`.
  void drop_unreachable(int64_t next, const Config& c);
};

}  // namespace lst
