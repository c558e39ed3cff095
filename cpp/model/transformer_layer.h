// One Transformer-LS layer (docs/SPEC.md §3), the one forward a full sequence and a
// decode step share (as gemma.cpp's TransformerLayer serves prefill and
// decode): what differs between them is data, the rows computed
// (LayerRows) and the keys kept from earlier positions (LayerKeyValues).
//   x = Attn(LN_a(x)) + x ;  x = W2 GELU(W1 LN_f(x) + b1) + b2 + x
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/gemm.h"
#include "model/attention_layer.h"
#include "model/config.h"
#include "model/layer_key_values.h"
#include "model/weights.h"

namespace lst {

class ThreadPool;

// Packed GEMMs of one layer.
struct LayerLinears {
  std::unique_ptr<Linear> qkv;  // [to_q ; to_kv] fused: (2*inner, dim)
  std::unique_ptr<Linear> out;  // to_out (dim, inner) + bias
  std::unique_ptr<Linear> ff1;  // net.0 (hidden, dim) + bias
  std::unique_ptr<Linear> ff2;  // net.3 (dim, hidden) + bias
};

// Buffers of one call, grown on demand (linear in its rows).
struct LayerScratch {
  std::vector<float> y, qkv, attn, tmp, hidden;
  AttentionScratch attention;
};

// x: (rows.rows, dim) the residual stream of the new rows, updated in place.
// kv holds the keys of the positions before rows.pos0 and receives the new
// rows' (a cache writer: the decoder keeps it, a full forward discards it).
// probe: records the last row's attention weights of probe->head, or null.
void transformer_layer_forward(float* x, const LayerRows& rows, const Config& c,
                               const LayerWeights& w, LayerLinears& linears, LayerKeyValues& kv,
                               LayerScratch& s, ThreadPool& pool, AttentionProbe* probe = nullptr);

}  // namespace lst
