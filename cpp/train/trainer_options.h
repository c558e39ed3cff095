// What a training run is asked to do, parsed and defaulted in one place from
// one JSON shape (the JS API's Trainer options in snake_case): the JS API
// passes the user's object through, `lst train` builds the same object from
// its flags, so every default (the reference package's train.py, docs/SPEC.md
// §5) and every range is decided here.
#pragma once
#include <cstdint>
#include <string>

#include "kernels/gemm.h"
#include "model/config.h"
#include "train/adam.h"

namespace lst::train {

struct TrainerOptions {
  int64_t batch = 4, accum = 4, seq = 1024;  // train.py (from JSON: 0 until resolve_for sets it)
  int64_t steps = 1000;                       // total optimiser steps (train.py: 100000)
  AdamOptions adam;                           // lr 3e-4, betas (0.9, 0.999), eps 1e-8, no weight decay
  double clip = 0.5;                          // <= 0: no clipping
  int64_t warmup = 0;                         // LR warmup steps
  bool cosine = false;                        // cosine decay to lr * min_lr_ratio at `steps`
  double min_lr_ratio = 0.1;
  int64_t valid_every = 100;                  // 0: never
  int64_t valid_batches = 4;                  // fixed windows (same every time)
  int64_t sample_every = 500;                 // 0: never
  int64_t sample_len = 512;
  int64_t sample_prime = 128;                 // prime bytes taken from validation data
  int64_t checkpoint_every = 0;               // 0: at each validation
  std::string out_dir;                        // checkpoints; empty: none
  uint64_t seed = 0;                          // of the init, the data windows and the samples (< 2^53)
  int threads = 1;
  GemmBackend backend = default_gemm_backend();

  // Parses `json_text` ("" or "{}": the defaults). Keys: batch, accum, seq, steps,
  // lr, betas [b1, b2], eps, weight_decay, clip, warmup, cosine,
  // min_lr_ratio, valid_every, valid_batches, sample_every, sample_len,
  // sample_prime, checkpoint_every, seed, threads, backend. Unknown keys and
  // bad values throw lst::Error naming the option.
  static TrainerOptions from_json(const std::string& json_text);
  // The defaults that depend on the model: seq, when not given, is
  // min(1024, max_seq_len) (train.py's 1024 for its own model).
  void resolve_for(const Config& config);
  // The resolved options as JSON (the same keys), for the front ends to show.
  std::string to_json() const;
};

}  // namespace lst::train
