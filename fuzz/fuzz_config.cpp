// libFuzzer target for the JSON the engine takes from users: a model config
// (safetensors metadata, `lst create --config`, JS `create`), generation
// options and trainer options. lst::Error is the only allowed outcome of bad
// input: no crash, no sanitizer report, no deep recursion, no huge
// allocation; an accepted config must survive its own round trip.
//
//   scripts/fuzz.sh [seconds]      (builds with -DLST_FUZZ=ON and clang)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "generation/generate_options.h"
#include "model/config.h"
#include "model/weights.h"
#include "train/trainer_options.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  lst::Config config;
  bool have_config = false;
  try {
    config = lst::Config::from_json(text);
    have_config = true;
    // Accepted: the written form parses back to the same function.
    const lst::Config back = lst::Config::from_json(config.to_json());
    if (!(back == config) || back.ff_dropout != config.ff_dropout ||
        back.attn_dropout != config.attn_dropout)
      std::abort();
    if (lst::count_parameters(config) <= 0) std::abort();
  } catch (const lst::Error&) {
  }
  // The same text as options, against a small fixed config or the fuzzed one.
  const lst::Config small = lst::Config::from_json(
      R"({"num_tokens": 256, "dim": 16, "depth": 1, "max_seq_len": 64, "heads": 2, "dim_head": 8, "window_size": 8})");
  try {
    (void)lst::GenerateOptions::from_json(text, have_config ? config : small);
  } catch (const lst::Error&) {
  }
  try {
    lst::train::TrainerOptions o = lst::train::TrainerOptions::from_json(text);
    o.resolve_for(small);
  } catch (const lst::Error&) {
  }
  return 0;
}
