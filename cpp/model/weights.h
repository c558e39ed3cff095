// The model's parameters under the reference package's PyTorch state_dict names (docs/SPEC.md §2).
// Linear weights keep PyTorch's (out, in) layout; the GEMM backend packs its
// own copy at model construction.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "model/config.h"

namespace lst {

class SafeTensors;

struct LayerWeights {
  // layers.{i}.0: pre-norm + long-short attention
  std::vector<float> attn_norm_w, attn_norm_b;          // (dim)
  std::vector<float> to_q;                              // (inner, dim), no bias
  std::vector<float> to_kv;                             // (inner, dim), no bias; keys = values
  std::vector<float> to_dynamic_proj;                   // (r, dh), shared by all heads
  std::vector<float> local_norm_w, local_norm_b;        // (dh)
  std::vector<float> global_norm_w, global_norm_b;      // (dh)
  std::vector<float> rotary_freqs;                      // (dh/2) buffer pos_emb.freqs
  std::vector<float> to_out_w, to_out_b;                // (dim, inner), (dim)
  // layers.{i}.1: pre-norm + feed-forward
  std::vector<float> ff_norm_w, ff_norm_b;              // (dim)
  std::vector<float> ff1_w, ff1_b;                      // (hidden, dim), (hidden)
  std::vector<float> ff2_w, ff2_b;                      // (dim, hidden), (dim)
};

struct Weights {
  std::vector<float> token_emb;                 // (num_tokens, dim)
  std::vector<LayerWeights> layers;             // depth
  std::vector<float> final_norm_w, final_norm_b;  // (dim)  to_logits.0
  std::vector<float> logits_w, logits_b;        // (num_tokens, dim), (num_tokens)  to_logits.1
};

// One named tensor of the state_dict. `is_buffer` marks pos_emb.freqs, which
// PyTorch saves but does not train or count as a parameter.
struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float>* data;
  bool is_buffer = false;
};

// Every tensor of the state_dict, in the reference package's order. The same table names
// the gradients (a Weights used as a gradient holder) and the optimiser state.
std::vector<NamedTensor> state_dict(Weights& w, const Config& c);

// Sizes every tensor for `c` (zero-filled; freqs set to 1/10000^(2i/dh)).
Weights allocate_weights(const Config& c);

// The reference package's default initialisation (PyTorch: Embedding N(0,1), Linear
// kaiming-uniform weights and uniform biases, LayerNorm 1/0), from a seeded
// PRNG that gives the same weights natively and in wasm. Not torch's
// numbers; statistically the same.
Weights init_weights(const Config& c, uint64_t seed);

// Reads every tensor of the state_dict from `st`, converting F16/BF16/F64 to
// F32 and dequantising int8 matrices (stored_weights.h). Missing tensors or
// wrong shapes throw lst::Error naming the tensor; pos_emb.freqs is optional
// (computed when absent). Non-finite values throw. To keep matrices in their
// storage format: load_stored_weights (stored_weights.h).
Weights load_weights(const SafeTensors& st, const Config& c);

int64_t count_parameters(const Config& c);

// The state_dict as a safetensors file, the one writer of weight files: the
// reference package's names (docs/SPEC.md §2), the config and "format": "pt"
// in __metadata__ (the PyTorch package loads it with load_state_dict); F16
// weights when `f16` (the pos_emb.freqs buffers stay F32).
SafeTensorsWriter state_dict_file(const Weights& w, const Config& c, bool f16 = false);

}  // namespace lst
