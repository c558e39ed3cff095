#include "train/checkpoint.h"

#include <cstdio>

#include "core/error.h"
#include "io/safetensors.h"
#include "train/params.h"

namespace lst::train {

std::string optim_sidecar_path(const std::string& model_path) {
  std::string base = model_path;
  const std::string ext = ".safetensors";
  if (base.size() > ext.size() && base.compare(base.size() - ext.size(), ext.size(), ext) == 0)
    base.resize(base.size() - ext.size());
  return base + ".optim.safetensors";
}

void save_checkpoint(const std::string& path, const Config& c, const Weights& w,
                     const OptimState* optim) {
  // Write to a temporary name and rename, so an interrupted save never
  // leaves a truncated checkpoint behind.
  auto write_atomic = [](const SafeTensorsWriter& wr, const std::string& p) {
    const std::string tmp = p + ".tmp";
    wr.write_file(tmp);
    LST_CHECK(std::rename(tmp.c_str(), p.c_str()) == 0, "checkpoint: cannot rename '", tmp,
              "' to '", p, "'");
  };
  write_atomic(state_dict_file(w, c), path);
  if (!optim) return;
  const ParamLayout L = ParamLayout::make(c);
  LST_CHECK(optim->exp_avg.size() == L.total && optim->exp_avg_sq.size() == L.total,
            "checkpoint: optimiser state has ", optim->exp_avg.size(), " values, expected ", L.total);
  SafeTensorsWriter wr;
  wr.set_metadata("config", c.to_json());
  wr.set_metadata("step", std::to_string(optim->step));
  wr.set_metadata("adam_t", std::to_string(optim->adam_t));
  wr.set_metadata("sampler_state", std::to_string(optim->sampler_state));
  wr.set_metadata("train", optim->extra_json);
  for (const auto& e : L.entries) {
    wr.add_f32("optim.exp_avg." + e.name, e.shape, optim->exp_avg.data() + e.offset);
    wr.add_f32("optim.exp_avg_sq." + e.name, e.shape, optim->exp_avg_sq.data() + e.offset);
  }
  write_atomic(wr, optim_sidecar_path(path));
}

bool load_checkpoint(const std::string& path, Config* c, Weights* w, OptimState* optim) {
  std::vector<uint8_t> bytes = read_file_bytes(path);
  SafeTensors st = SafeTensors::parse(bytes.data(), bytes.size());
  auto it = st.metadata().find("config");
  LST_CHECK(it != st.metadata().end(), "checkpoint '", path, "' has no __metadata__ config");
  *c = Config::from_json(it->second);
  *w = load_weights(st, *c);
  const std::string side = optim_sidecar_path(path);
  if (!optim) return false;
  if (FILE* f = std::fopen(side.c_str(), "rb")) {
    std::fclose(f);
  } else {
    return false;  // no sidecar: fresh optimiser state
  }
  std::vector<uint8_t> sb = read_file_bytes(side);
  SafeTensors so = SafeTensors::parse(sb.data(), sb.size());
  auto meta = [&](const char* key) -> std::string {
    auto m = so.metadata().find(key);
    LST_CHECK(m != so.metadata().end(), "optimiser state '", side, "' has no metadata '", key, "'");
    return m->second;
  };
  LST_CHECK(Config::from_json(meta("config")) == *c, "optimiser state '", side,
            "' belongs to a different config than '", path, "'");
  optim->step = std::stoll(meta("step"));
  optim->adam_t = std::stoll(meta("adam_t"));
  optim->sampler_state = std::stoull(meta("sampler_state"));
  optim->extra_json = meta("train");
  const ParamLayout L = ParamLayout::make(*c);
  optim->exp_avg.assign(L.total, 0.0f);
  optim->exp_avg_sq.assign(L.total, 0.0f);
  for (const auto& e : L.entries) {
    for (auto [prefix, dst] : {std::pair{"optim.exp_avg.", &optim->exp_avg},
                               std::pair{"optim.exp_avg_sq.", &optim->exp_avg_sq}}) {
      const std::string name = prefix + e.name;
      LST_CHECK(so.has(name), "optimiser state '", side, "' misses '", name, "'");
      std::vector<float> v = so.to_f32(name);
      LST_CHECK(v.size() == e.numel, "optimiser state '", name, "' has ", v.size(),
                " values, expected ", e.numel);
      std::copy(v.begin(), v.end(), dst->begin() + e.offset);
    }
  }
  return true;
}

}  // namespace lst::train
