// What a causal model keeps to add one token at a time (docs/SPEC.md §6, last
// point): per layer, the keys its attention reads at later positions.
// Windows and segments only ever grow at the end, so a new token at position
// t needs the local keys of windows k-1 and k (k = t / w), the global tokens
// of the completed segments, and the raw keys of the segment in progress.
// Model::forward_cached fills it with the same layer forward as a full pass.
#pragma once
#include <cstdint>
#include <vector>

#include "model/config.h"
#include "model/layer_key_values.h"

namespace lst {

struct DecodeCache {
  int64_t length = 0;                  // positions encoded (the next token goes at `length`)
  std::vector<LayerKeyValues> layers;  // depth

  void reset(const Config& c);
};

}  // namespace lst
