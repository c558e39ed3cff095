// Loading a model from a safetensors file on disk, with the config taken from
// (in order) the caller, the file's __metadata__["config"], or a config.json
// beside the file (the Hugging Face convention).
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "model/model.h"

namespace lst {

// A safetensors file read into memory, with its parsed header.
struct SafeTensorsFile {
  std::string path;
  std::vector<uint8_t> bytes;
  SafeTensors st;
  static std::unique_ptr<SafeTensorsFile> open(const std::string& path);
};

// config_json: the reference package's kwargs as JSON, or empty to look in the file and
// then in config.json beside it. Matrices are kept as the file stores them
// unless options.weight_format converts them (stored_weights.h).
Model load_model_file(const std::string& path, const std::string& config_json,
                      const ModelOptions& options);
Config resolve_model_config(const SafeTensorsFile& f, const std::string& config_json);
Model load_model(const SafeTensorsFile& f, const Config& c, const ModelOptions& options);


}  // namespace lst
