// A naive reference of docs/SPEC.md §3-4, written for clarity, not speed: double
// precision, one explicit key list and mask vector per query, the reference package's -1
// padding pushed through LayerNorm instead of assumed to equal its bias.
#pragma once
#include <cstdint>
#include <vector>

#include "model/config.h"
#include "model/weights.h"

namespace lst::reference {

// logits (b, n, V) in double. mask may be empty (no mask).
std::vector<double> forward(const Config& c, const Weights& w, const std::vector<int32_t>& tokens,
                            const std::vector<uint8_t>& mask, int64_t b, int64_t n);

}  // namespace lst::reference
