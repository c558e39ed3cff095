// Weights for the training bindings: from a safetensors file (the config
// from its __metadata__ unless given) or a seeded default init, checked
// against the 4 GB heap; shared by WasmTrainer and WasmBatchTrainer.
#pragma once
#include <cstdint>
#include <string>

#include "bindings/wasm_model.h"
#include "model/config.h"
#include "model/weights.h"

namespace lst::wasm::detail {

uint64_t checked_seed(double seed);
void load_or_init(const HeapBuffer& file, const std::string& config_json, double seed, Config* c, Weights* w);

}  // namespace lst::wasm::detail
