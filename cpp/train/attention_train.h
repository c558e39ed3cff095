// The long-short attention of one (sequence, head) for training (docs/SPEC.md §4.3-4.9):
// a forward that keeps what the backward needs, and the backward. Each head
// writes only its own columns and its own partial parameter gradients, so
// (sequence, head) pairs run in parallel and are reduced in a fixed order.
//
// What is kept (per sequence and head): q/kv after rotary (q also scaled), the
// local LayerNorm's keys and statistics, the dynamic projection's softmax
// weights, the global tokens before/after their LayerNorm with statistics,
// and one log-sum-exp per query (the attention weights are recomputed in the
// backward, flash-attention style, instead of storing (N, G + L) of them).
#pragma once
#include <cstddef>
#include <cstdint>

#include "model/config.h"
#include "train/dropout.h"

namespace lst::train {

// Pointers of one (sequence, head) into the activation arena. Row-major;
// `qkv` rows are [q (inner) | kv (inner)], head h at column h*dh of each half.
template <class T>
struct AttnHead {
  T* qkv;          // (N, 2*inner): in: projections; out: rotated (q also scaled)
  T* lkv;          // (N, inner)   LayerNorm_local(kv), column h*dh
  T* lkv_mean;     // (N)
  T* lkv_rstd;     // (N)
  T* proj_prob;    // (blocks, r, block_rows) dynamic-projection softmax weights
  T* gpre;         // (G, dh) global tokens before LayerNorm_global
  T* g_mean;       // (G)
  T* g_rstd;       // (G)
  T* gkv;          // (G, dh) LayerNorm_global(gpre)
  T* lse;          // (N) log-sum-exp per query; -inf marks a fully masked row
  T* out;          // (N, inner) the head's output, column h*dh
};

// The parameters the attention reads (one layer).
template <class T>
struct AttnParams {
  const T* to_dynamic_proj;  // (r, dh)
  const T* local_norm_w;     // (dh)
  const T* local_norm_b;     // (dh)  also the key of out-of-range window slots
  const T* global_norm_w;    // (dh)
  const T* global_norm_b;    // (dh)
};

// Gradient buffers of one (sequence, head). dqkv / dlkv columns and dgkv,
// dgpre are overwritten; `dparams` receives this head's partial parameter
// gradients (overwritten), laid out as AttnParamGradOffsets below.
template <class T>
struct AttnHeadGrad {
  const T* dout;   // (N, inner) gradient of the output, column h*dh
  T* dqkv;         // (N, 2*inner) gradient of the q/kv projections (before rotary)
  T* dlkv;         // (N, inner) scratch, column h*dh
  T* dgkv;         // (G, dh) scratch
  T* dgpre;        // (G, dh) scratch
  T* dparams;      // (attn_param_grad_size(c)) partial gradients of this head
};

// [d local_norm.w | d local_norm.b | d global_norm.w | d global_norm.b | d to_dynamic_proj]
inline size_t attn_param_grad_size(const Config& c) {
  return 4 * size_t(c.dim_head) + size_t(c.r) * c.dim_head;
}

// Sizes of one sequence of padded length N.
int64_t attn_num_global(const Config& c, int64_t N);      // G
int64_t attn_num_local_slots(const Config& c);            // L = (2 or 3) * w
int64_t attn_scratch_size(const Config& c, int64_t N);    // 2 w (G + L) + N + L + GEMM packing

// Head h of one padded sequence. mask: (N), 1 = real key. cos/sin: (N, dh/2).
// scratch: attn_scratch_size floats. drop: the head's attention dropout
// (query t's weight on slot j of [global G | local L] is unit t*(G+L) + j),
// or null; the backward must get the forward's.
template <class T>
void attention_head_forward(const AttnHead<T>& a, const AttnParams<T>& p, const Config& c,
                            int64_t N, int h, const uint8_t* mask, const T* cos_t,
                            const T* sin_t, T* scratch, const DropoutRow* drop = nullptr);

template <class T>
void attention_head_backward(const AttnHead<T>& a, const AttnHeadGrad<T>& g,
                             const AttnParams<T>& p, const Config& c, int64_t N, int h,
                             const uint8_t* mask, const T* cos_t, const T* sin_t, T* scratch,
                             const DropoutRow* drop = nullptr);

}  // namespace lst::train
