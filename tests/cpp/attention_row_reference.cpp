#include "attention_row_reference.h"

#include <cmath>
#include <vector>

namespace lst::test {

void attend_long_short_row(float* out, const float* q, int64_t t, size_t dh, const GlobalKeys& g,
                           const LocalKeys& l, const AttentionRule& rule, double* probs) {
  const size_t G = g.count, L = rule.local_slots();
  const int64_t first = rule.local_first(t);
  auto key_of = [&](size_t slot) -> const float* {
    const int64_t pos = first + int64_t(slot);
    if (pos < 0 || pos >= l.seq_len) return l.oob_key;
    return l.rows + (pos - l.rows_pos0) * int64_t(l.stride);
  };
  auto visible_local = [&](size_t slot) {
    const int64_t pos = first + int64_t(slot);
    return pos >= 0 && pos < l.seq_len && rule.local_visible(pos, t) &&
           (l.mask == nullptr || l.mask[pos - l.rows_pos0] != 0);
  };
  auto dot = [&](const float* k) {
    double s = 0;
    for (size_t d = 0; d < dh; ++d) s += double(q[d]) * k[d];
    return s;
  };
  std::vector<double> score(G + L, 0.0);
  std::vector<bool> visible(G + L, false);
  const size_t gvis = rule.global_visible(t, G);
  bool any = false;
  double m = -INFINITY;
  for (size_t j = 0; j < G + L; ++j) {
    visible[j] = j < G ? j < gvis : visible_local(j - G);
    if (!visible[j]) continue;
    score[j] = dot(j < G ? g.rows + j * g.stride : key_of(j - G));
    m = std::max(m, score[j]);
    any = true;
  }
  double sum = 0;
  for (size_t j = 0; j < G + L; ++j) {
    score[j] = !any ? 1.0 : visible[j] ? std::exp(score[j] - m) : 0.0;
    sum += score[j];
  }
  std::vector<double> acc(dh, 0.0);
  for (size_t j = 0; j < G + L; ++j) {
    const double p = score[j] / sum;
    if (probs) probs[j] = p;
    const float* v = j < G ? g.rows + j * g.stride : key_of(j - G);
    for (size_t d = 0; d < dh; ++d) acc[d] += p * v[d];
  }
  for (size_t d = 0; d < dh; ++d) out[d] = static_cast<float>(acc[d]);
}

}  // namespace lst::test
