#include "cli/model_file.h"

#include <filesystem>

#include "core/error.h"

namespace lst {

std::unique_ptr<SafeTensorsFile> SafeTensorsFile::open(const std::string& path) {
  auto bytes = read_file_bytes(path);
  // Parse before constructing so the views point into the final buffer.
  auto f = std::unique_ptr<SafeTensorsFile>(
      new SafeTensorsFile{path, std::move(bytes), SafeTensors{}});
  try {
    f->st = SafeTensors::parse(f->bytes.data(), f->bytes.size());
  } catch (const Error& e) {
    LST_FAIL("'", path, "': ", e.what());
  }
  return f;
}

Config resolve_model_config(const SafeTensorsFile& f, const std::string& config_json) {
  // The engine's rule (Model::resolve_config: the caller's config, else the
  // file's __metadata__), plus what only a file on disk can have: a
  // config.json beside it (the Hugging Face convention).
  if (config_json.empty() && !f.st.metadata().count("config")) {
    auto beside = std::filesystem::path(f.path).parent_path() / "config.json";
    LST_CHECK(std::filesystem::exists(beside), "'", f.path, "' has no __metadata__ 'config' and there is no "
              "config.json beside it: pass the reference package's constructor kwargs with --config");
    auto bytes = read_file_bytes(beside.string());
    return Config::from_json(std::string(bytes.begin(), bytes.end()));
  }
  return Model::resolve_config(f.st, config_json);
}

Model load_model_file(const std::string& path, const std::string& config_json,
                      const ModelOptions& options) {
  auto f = SafeTensorsFile::open(path);
  return load_model(*f, resolve_model_config(*f, config_json), options);
}

Model load_model(const SafeTensorsFile& f, const Config& c, const ModelOptions& options) {
  LoadedWeights w = load_stored_weights(f.st, c, options.weight_format);
  ModelOptions o = options;
  o.weight_format.reset();  // applied on load
  return Model(c, std::move(w.weights), std::move(w.stored), o);
}

}  // namespace lst
