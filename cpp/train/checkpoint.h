// Training checkpoints. The model file is a plain safetensors state_dict
// under the seed's names with the config in __metadata__["config"], so the
// PyTorch package loads it as is:
//
//   from safetensors.torch import load_file
//   model = LongShortTransformer(**json.loads(safe_open(path, "pt").metadata()["config"]))
//   model.load_state_dict(load_file(path))
//
// The optimiser state goes to a sidecar `<path>.optim.safetensors`
// (optim.exp_avg.<name>, optim.exp_avg_sq.<name>, and the step counters in
// its metadata), which a strict load_state_dict would otherwise reject.
//
// Where there are no files (the JS Trainer), the same content travels as one
// safetensors file in memory, the trainer state: the model's tensors under the
// seed's names (so it also loads as a model) plus the sidecar's tensors and
// metadata, and __metadata__["kind"] = "lst-trainer-state".
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"
#include "model/weights.h"

namespace lst::train {

struct OptimState {
  int64_t step = 0;             // optimiser steps done
  int64_t adam_t = 0;           // Adam's bias-correction counter
  uint64_t sampler_state = 0;   // the data sampler's PRNG state
  std::vector<float> exp_avg, exp_avg_sq;  // flat, ParamLayout order
  std::string extra_json = "{}";  // free-form (options, elapsed time)
};

std::string optim_sidecar_path(const std::string& model_path);

// Writes the model (F32) and, when `optim` is given, its sidecar.
void save_checkpoint(const std::string& path, const Config& c, const Weights& w,
                     const OptimState* optim);

// Reads a checkpoint's model; `optim` (if given) from the sidecar when it
// exists. Returns false when there is no sidecar (fresh optimiser state).
bool load_checkpoint(const std::string& path, Config* c, Weights* w, OptimState* optim);

// The trainer state in memory (weights, Adam's moments and counter, step,
// sampler state, `optim.extra_json` as __metadata__["train"]).
std::vector<uint8_t> trainer_state_bytes(const Config& c, const Weights& w, const OptimState& optim);
// Reads it back; throws lst::Error naming what is missing, malformed or
// inconsistent (a truncated or corrupted state, another kind of file).
void parse_trainer_state(const uint8_t* data, size_t size, Config* c, Weights* w, OptimState* optim);

}  // namespace lst::train
