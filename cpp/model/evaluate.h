// Held-out loss of a byte-level model, through the model's own forward pass:
// the reference package's AutoregressiveWrapper loss (docs/SPEC.md §5) over
// consecutive windows of seq + 1 bytes that overlap by one byte, so every
// byte after the first is predicted once. One evaluation for every front end
// (lst eval-text, the JS API's evaluate(), the Node CLI's eval).
#pragma once
#include <cstddef>
#include <cstdint>

#include "model/model.h"

namespace lst {

struct Evaluation {
  double nats_per_byte = 0;   // mean cross-entropy
  int64_t predicted = 0;      // bytes predicted (data size - 1, or fewer with max_windows)
  int64_t windows = 0;
};

// `data` (n >= 2 bytes) for a model with num_tokens 256; seq >= 1 (usually
// max_seq_len); max_windows > 0 stops after that many windows.
Evaluation evaluate_bytes(Model& model, const uint8_t* data, size_t n, int64_t seq, int64_t max_windows = 0);

}  // namespace lst
