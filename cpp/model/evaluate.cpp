#include "model/evaluate.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"

namespace lst {

Evaluation evaluate_bytes(Model& model, const uint8_t* data, size_t n, int64_t seq, int64_t max_windows) {
  const int V = model.config().num_tokens;
  LST_CHECK(V == 256, "evaluation reads bytes: the model must be byte-level (num_tokens 256), not ", V);
  LST_CHECK(n >= 2, "evaluation data needs at least 2 bytes, got ", n);
  LST_CHECK(seq >= 1 && seq <= (int64_t(1) << 20), "evaluation: seq must be in [1, 2^20], got ", seq);
  Evaluation e;
  std::vector<int32_t> tokens;
  std::vector<float> logits;
  double nats = 0;
  for (int64_t start = 0; start + 1 < int64_t(n); start += seq) {
    if (max_windows > 0 && e.windows == max_windows) break;
    const int64_t len = std::min<int64_t>(seq + 1, int64_t(n) - start) - 1;   // positions predicted
    tokens.assign(data + start, data + start + len);
    logits.resize(size_t(len) * V);
    model.forward(tokens.data(), nullptr, 1, len, logits.data());
    for (int64_t t = 0; t < len; ++t) {
      const float* row = logits.data() + size_t(t) * V;
      const double m = *std::max_element(row, row + V);
      double z = 0;
      for (int v = 0; v < V; ++v) z += std::exp(double(row[v]) - m);
      const double loss = std::log(z) + m - double(row[data[start + t + 1]]);
      // Overflowing weights give NaN/inf logits: say where, never a NaN average.
      LST_CHECK(std::isfinite(loss), "evaluation: the loss of byte ", start + t + 1,
                " is not finite (the logits at that position hold NaN or infinity: the weights overflow)");
      nats += loss;
    }
    e.predicted += len;
    e.windows++;
  }
  e.nats_per_byte = nats / double(e.predicted);
  return e;
}

}  // namespace lst
