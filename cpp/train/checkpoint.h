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
#pragma once
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

}  // namespace lst::train
