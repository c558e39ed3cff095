#include "bindings/training_weights.h"

#include "io/safetensors.h"
#include "model/model.h"

namespace lst::wasm::detail {

uint64_t checked_seed(double seed) {
  LST_CHECK(seed >= 0 && seed <= 9007199254740991.0 && seed == double(uint64_t(seed)),
            "seed must be an integer in [0, 2^53), got ", seed);
  return static_cast<uint64_t>(seed);
}

// Config and weights from a safetensors file (config from its __metadata__
// unless `config_json` is given), or a seeded default init when the file is
// empty.
void load_or_init(const HeapBuffer& file, const std::string& config_json, double seed, Config* c, Weights* w) {
  const auto& bytes = file.bytes();
  if (bytes.empty()) {
    LST_CHECK(!config_json.empty(), "a fresh model needs a config (or initial weights)");
    *c = Config::from_json(config_json);
    check_fits_heap(*c);
    *w = init_weights(*c, checked_seed(seed));
    return;
  }
  SafeTensors st = SafeTensors::parse(bytes.data(), bytes.size());
  *c = Model::resolve_config(st, config_json);
  check_fits_heap(*c);
  *w = load_weights(st, *c);
}

}  // namespace lst::wasm::detail
