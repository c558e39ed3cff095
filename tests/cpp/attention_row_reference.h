// The scalar twin of attend_long_short (STYLE: a scalar twin for every SIMD
// kernel): one query row, one dot product per key, double-precision softmax,
// the same AttentionRule. Test-only: no model path runs it.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/long_short_attention.h"

namespace lst::test {

// out (dh) = softmax([q·g ; q·l]) · [g ; l] for the query at position t,
// keys hidden by `rule` masked; no visible key: the uniform average over all
// g.count global tokens and rule.local_slots() local slots (docs/SPEC.md §4.8).
// probs (optional): g.count + local_slots weights, [global | local].
void attend_long_short_row(float* out, const float* q, int64_t t, size_t dh, const GlobalKeys& g,
                           const LocalKeys& l, const AttentionRule& rule, double* probs = nullptr);

}  // namespace lst::test
