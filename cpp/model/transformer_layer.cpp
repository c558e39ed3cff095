#include "model/transformer_layer.h"

#include <algorithm>

#include "kernels/activations.h"
#include "kernels/layernorm.h"

namespace lst {

void transformer_layer_forward(float* x, const LayerRows& rows, const Config& c,
                               const LayerWeights& w, LayerLinears& linears, LayerKeyValues& kv,
                               LayerScratch& s, ThreadPool& pool, AttentionProbe* probe) {
  const int64_t D = c.dim, I = c.inner(), Hd = c.ff_hidden();
  const int64_t n = rows.rows, P = rows.end() - rows.pos0;  // new rows, with pad rows
  s.y.resize(n * D);
  s.qkv.resize(P * 2 * I);
  s.attn.resize(P * I);
  s.tmp.resize(n * D);
  s.hidden.resize(n * Hd);

  // x = Attn(LN_a(x), mask) + x; pad rows have zero q/kv (docs/SPEC.md §4.1).
  layernorm_forward(s.y.data(), D, x, D, w.attn_norm_w.data(), w.attn_norm_b.data(), n, D);
  linears.qkv->run(s.y.data(), n, s.qkv.data());
  std::fill(s.qkv.begin() + n * 2 * I, s.qkv.end(), 0.0f);
  long_short_attention_forward(s.attn.data(), s.qkv.data(), rows, c, w, kv, s.attention, pool, probe);
  linears.out->run(s.attn.data(), n, s.tmp.data());
  for (int64_t i = 0; i < n * D; ++i) x[i] += s.tmp[i];

  // x = W2 GELU(W1 LN_f(x) + b1) + b2 + x. GELU row by row: a row's values
  // then cannot depend on how many rows one call computes.
  layernorm_forward(s.y.data(), D, x, D, w.ff_norm_w.data(), w.ff_norm_b.data(), n, D);
  linears.ff1->run(s.y.data(), n, s.hidden.data());
  for (int64_t r = 0; r < n; ++r) gelu_forward(&s.hidden[r * Hd], Hd);
  linears.ff2->run(s.hidden.data(), n, s.tmp.data());
  for (int64_t i = 0; i < n * D; ++i) x[i] += s.tmp[i];
}

}  // namespace lst
