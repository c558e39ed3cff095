#include "model/layer_key_values.h"

#include <algorithm>

namespace lst {

void LayerKeyValues::clear() {
  end = local_pos0 = raw_pos0 = 0;
  local.clear();
  raw.clear();
  for (auto& head : global) head.clear();
}

void LayerKeyValues::resize_global(size_t count, const Config& c) {
  global.resize(c.heads);
  for (auto& head : global) head.resize(count * c.dim_head);
}

void LayerKeyValues::extend(int64_t new_end, const Config& c) {
  const int64_t inner = c.inner();
  local.resize((new_end - local_pos0) * inner);
  raw.resize((new_end - raw_pos0) * inner);
  end = new_end;
}

void LayerKeyValues::drop_unreachable(int64_t next, const Config& c) {
  if (!c.causal) return;  // non-causal layers are recomputed whole (docs/SPEC.md §5)
  const int64_t inner = c.inner();
  // A query in window k reads windows k-1 and k (causal, docs/SPEC.md §4.5).
  const int64_t local_keep = std::min(end, std::max<int64_t>(0, (next / c.window_size - 1) * c.window_size));
  if (local_keep > local_pos0) {
    local.erase(local.begin(), local.begin() + (local_keep - local_pos0) * inner);
    local_pos0 = local_keep;
  }
  // A segment is projected once complete (docs/SPEC.md §4.6); its raw keys are then unused.
  const int64_t raw_keep = std::min(end, next / c.segment_size * c.segment_size);
  if (raw_keep > raw_pos0) {
    raw.erase(raw.begin(), raw.begin() + (raw_keep - raw_pos0) * inner);
    raw_pos0 = raw_keep;
  }
}

}  // namespace lst
