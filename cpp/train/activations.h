// Everything one training step keeps or scratches, carved from one arena
// sized up front for (b sequences, n tokens) (llm.c): a step never grows it.
// Sequences are padded to N = ceil(n / P) * P and every per-token tensor is
// (b, N, ...), so the GEMMs run over b*N rows at once; pad rows of the
// attention input are zero (docs/SPEC.md §4.1) and carry no loss.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/config.h"

namespace lst::train {

template <class T>
struct LayerActivations {
  T* res_a;      // (B, N, D)  residual stream entering the attention block
  T* attn_ln_mean;   // (B, N)
  T* attn_ln_rstd;   // (B, N)
  T* qkv;        // (B, N, 2I) q (rotated, scaled) | kv (rotated)
  T* lkv;        // (B, N, I)  LayerNorm_local(kv)
  T* lkv_mean;   // (B, H, N)
  T* lkv_rstd;   // (B, H, N)
  T* proj_prob;  // (B, H, N*r) dynamic-projection softmax weights
  T* gpre;       // (B, H, G, dh)
  T* g_mean;     // (B, H, G)
  T* g_rstd;     // (B, H, G)
  T* gkv;        // (B, H, G, dh)
  T* lse;        // (B, H, N)
  T* attn;       // (B, N, I)  heads concatenated, input of to_out
  T* res_f;      // (B, N, D)  residual stream entering the feed-forward block
  T* ff_ln_mean;   // (B, N)
  T* ff_ln_rstd;   // (B, N)
  T* ffh;        // (B, N, Hd) net.0 output, before GELU
  T* cos_t;      // (N, dh/2) rotary tables of this layer's freqs
  T* sin_t;      // (N, dh/2)
};

template <class T>
struct Activations {
  int64_t B = 0, n = 0, N = 0, G = 0;
  std::vector<LayerActivations<T>> layers;
  T* res_out;    // (B, N, D) residual stream after the last layer
  T* final_ln_mean;   // (B, N)
  T* final_ln_rstd;   // (B, N)
  T* probs;      // (B, N, V) logits, then softmax, then dlogits
  // scratch shared by every layer
  T* ybuf;       // (B, N, D)  a LayerNorm output (recomputed in the backward)
  T* hbuf;       // (B, N, Hd) GELU output
  T* wt;         // (max in*out) a transposed weight (the double reference's loops)
  float* gemm_scratch;  // gemm_f32_strided's packing, sized for the pool's threads (float only)
  T* dres;       // (B, N, D)  gradient of the residual stream
  T* dy;         // (B, N, D)
  T* dqkv;       // (B, N, 2I)
  T* dattn;      // (B, N, I)
  T* dlkv;       // (B, N, I)
  T* dgkv;       // (B, H, G, dh)
  T* dgpre;      // (B, H, G, dh)
  T* dparams;    // (B, H, attn_param_grad_size)
  T* dh;         // (B, N, Hd)
  T* attn_scratch;  // (B, H, attn_scratch_size)
  int32_t* tokens;  // (B, N) input ids, pad rows 0
  int32_t* targets; // (B, n)
  uint8_t* mask;    // (B, N) 1 = real key; pad rows 0
  int32_t* staged_inputs;  // (B, n) forward_sequences' x[:, :-1]
  uint8_t* staged_mask;    // (B, n)
  double* row_loss;        // (B, n) cross-entropy of each target

  // Sizes the arena for (B, n) and `threads` GEMM threads and carves the pointers.
  void allocate(const Config& c, int64_t B, int64_t n, int threads);
  // Bytes allocate() takes for (B, n, threads) (T = float for training).
  static size_t bytes(const Config& c, int64_t B, int64_t n, int threads = 1);

 private:
  std::vector<T> arena_;
  std::vector<int32_t> ids_;
  std::vector<uint8_t> mask_;
  std::vector<double> loss_;
};

}  // namespace lst::train
