// Trainable parameters as one flat buffer (llm.c style) in the seed's
// state_dict order, buffers (pos_emb.freqs) excluded. The same layout holds
// the gradients and the optimiser's moments, so Adam, clipping and
// accumulation are loops over one array; the names come from state_dict()
// (weights.h), so a flat buffer converts to and from a Weights.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"
#include "model/weights.h"

namespace lst::train {

// Where each trainable tensor lives in the flat buffer.
struct ParamLayout {
  struct Entry {
    std::string name;
    std::vector<int64_t> shape;
    size_t offset = 0;
    size_t numel = 0;
  };
  std::vector<Entry> entries;  // state_dict order, buffers skipped
  size_t total = 0;            // number of trainable scalars

  static ParamLayout make(const Config& c);
};

// Pointers of one layer's tensors into a flat buffer. to_q and to_kv are
// adjacent ([to_q ; to_kv] is one (2*inner, dim) matrix), which the fused
// q/kv projection relies on.
template <class T>
struct LayerParamPtrs {
  T *attn_norm_w, *attn_norm_b;      // (dim)
  T *to_q, *to_kv;                   // (inner, dim) each, contiguous
  T *to_dynamic_proj;                // (r, dh)
  T *local_norm_w, *local_norm_b;    // (dh)
  T *global_norm_w, *global_norm_b;  // (dh)
  T *to_out_w, *to_out_b;            // (dim, inner), (dim)
  T *ff_norm_w, *ff_norm_b;          // (dim)
  T *ff1_w, *ff1_b;                  // (hidden, dim), (hidden)
  T *ff2_w, *ff2_b;                  // (dim, hidden), (dim)
};

template <class T>
struct ParamPtrs {
  T* token_emb;                        // (num_tokens, dim)
  std::vector<LayerParamPtrs<T>> layers;
  T *final_norm_w, *final_norm_b;      // (dim)
  T *logits_w, *logits_b;              // (num_tokens, dim), (num_tokens)

  // Carves the pointers out of `base` (ParamLayout::make(c).total scalars).
  static ParamPtrs bind(T* base, const Config& c);
};

// Copies a Weights into a flat buffer of type T (and back; the rotary
// frequencies, a buffer that is not trained, come from rotary_freqs_of).
template <class T>
std::vector<T> flatten_weights(const Weights& w, const Config& c);
template <class T>
Weights unflatten_weights(const T* flat, const Config& c,
                          const std::vector<std::vector<float>>* rotary_freqs = nullptr);

// Each layer's pos_emb.freqs (read from the weights, identical in the seed).
std::vector<std::vector<float>> rotary_freqs_of(const Weights& w);

}  // namespace lst::train
