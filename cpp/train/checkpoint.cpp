#include "train/checkpoint.h"

#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>

#include "core/error.h"
#include "core/splitmix64.h"
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

namespace {

const char* const kTrainerStateKind = "lst-trainer-state";

// The optimiser's part of a checkpoint (the sidecar's content), shared by the
// sidecar file and the in-memory trainer state.
void add_optim_state(SafeTensorsWriter& wr, const Config& c, const OptimState& optim) {
  const ParamLayout L = ParamLayout::make(c);
  LST_CHECK(optim.exp_avg.size() == L.total && optim.exp_avg_sq.size() == L.total,
            "checkpoint: optimiser state has ", optim.exp_avg.size(), " values, expected ", L.total);
  wr.set_metadata("config", c.to_json());
  wr.set_metadata("step", std::to_string(optim.step));
  wr.set_metadata("adam_t", std::to_string(optim.adam_t));
  wr.set_metadata("sampler_state", std::to_string(optim.sampler_state));
  wr.set_metadata("train", optim.extra_json);
  for (const auto& e : L.entries) {
    wr.add_f32("optim.exp_avg." + e.name, e.shape, optim.exp_avg.data() + e.offset);
    wr.add_f32("optim.exp_avg_sq." + e.name, e.shape, optim.exp_avg_sq.data() + e.offset);
  }
}

// A decimal integer of the metadata, all of it (std::stoll would accept "12abc"
// and throw a nameless std::invalid_argument on "abc").
uint64_t parse_counter(const std::string& s, const std::string& what, const char* key, bool allow_full_range) {
  uint64_t v = 0;
  const char* end = s.data() + s.size();
  auto r = std::from_chars(s.data(), end, v);
  LST_CHECK(!s.empty() && r.ec == std::errc() && r.ptr == end, what, ": metadata '", key,
            "' is not a non-negative integer");
  LST_CHECK(allow_full_range || v <= uint64_t(INT64_MAX), what, ": metadata '", key, "' is out of range");
  return v;
}

// Reads the optimiser's part from `so` (metadata and tensors) for config `c`.
// `what` names the file in messages.
void read_optim_state(const SafeTensors& so, const Config& c, const std::string& what, OptimState* optim) {
  auto meta = [&](const char* key) -> const std::string& {
    auto m = so.metadata().find(key);
    LST_CHECK(m != so.metadata().end(), what, " has no metadata '", key, "'");
    return m->second;
  };
  OptimState st;
  st.step = int64_t(parse_counter(meta("step"), what, "step", false));
  st.adam_t = int64_t(parse_counter(meta("adam_t"), what, "adam_t", false));
  st.sampler_state = parse_counter(meta("sampler_state"), what, "sampler_state", true);
  st.extra_json = meta("train");
  const ParamLayout L = ParamLayout::make(c);
  st.exp_avg.assign(L.total, 0.0f);
  st.exp_avg_sq.assign(L.total, 0.0f);
  for (const auto& e : L.entries) {
    for (auto [prefix, dst] : {std::pair{"optim.exp_avg.", &st.exp_avg},
                               std::pair{"optim.exp_avg_sq.", &st.exp_avg_sq}}) {
      const std::string name = prefix + e.name;
      LST_CHECK(so.has(name), what, " misses '", name, "'");
      std::vector<float> v = so.to_f32(name);
      LST_CHECK(v.size() == e.numel, what, ": '", name, "' has ", v.size(), " values, expected ", e.numel);
      for (size_t i = 0; i < v.size(); ++i)
        LST_CHECK(std::isfinite(v[i]) && (dst == &st.exp_avg || v[i] >= 0.0f), what, ": '", name,
                  "' holds an impossible value (", v[i], ") at index ", i);
      std::copy(v.begin(), v.end(), dst->begin() + e.offset);
    }
  }
  *optim = std::move(st);
}

// The trainer state's checksum (__metadata__["checksum"], 16 hex digits): the
// metadata it is resumed by and every tensor's bytes, in a fixed order, mixed
// word by word with splitmix64. Storage that flips or loses bytes inside a
// tensor (which a safetensors parse cannot see) then gives an error instead
// of a silently different run.
const char* const kChecksumKeys[] = {"kind", "config", "step", "adam_t", "sampler_state", "train"};

class Checksum {
 public:
  void add(const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    mix(n);
    for (; n >= 8; p += 8, n -= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      mix(w);
    }
    uint64_t tail = 0;
    std::memcpy(&tail, p, n);
    mix(tail);
  }
  void add(const std::string& s) { add(s.data(), s.size()); }
  std::string hex() const {
    char b[17];
    std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(h_));
    return b;
  }

 private:
  void mix(uint64_t w) { h_ = splitmix64_at(h_ ^ w, 0); }
  uint64_t h_ = 0x6c73742d7374617eull;
};

// Every tensor of a trainer state of config `c`, in checksum order: the
// state_dict's, then the optimiser's.
std::vector<std::string> trainer_state_tensors(const Config& c) {
  std::vector<std::string> names;
  Weights shapes;
  shapes.layers.resize(size_t(c.depth));
  for (const auto& t : state_dict(shapes, c)) names.push_back(t.name);
  for (const auto& e : ParamLayout::make(c).entries) {
    names.push_back("optim.exp_avg." + e.name);
    names.push_back("optim.exp_avg_sq." + e.name);
  }
  return names;
}

}  // namespace

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
  SafeTensorsWriter wr;
  add_optim_state(wr, c, *optim);
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
  const std::string what = "optimiser state '" + side + "'";
  auto m = so.metadata().find("config");
  LST_CHECK(m != so.metadata().end(), what, " has no metadata 'config'");
  LST_CHECK(Config::from_json(m->second) == *c, what, " belongs to a different config than '", path, "'");
  read_optim_state(so, *c, what, optim);
  return true;
}

std::vector<uint8_t> trainer_state_bytes(const Config& c, const Weights& w, const OptimState& optim) {
  SafeTensorsWriter wr = state_dict_file(w, c);
  add_optim_state(wr, c, optim);
  wr.set_metadata("kind", kTrainerStateKind);
  // The checksum over what was just added: the same bytes a reader sees.
  std::map<std::string, std::string> meta = {{"kind", kTrainerStateKind},
                                             {"config", c.to_json()},
                                             {"step", std::to_string(optim.step)},
                                             {"adam_t", std::to_string(optim.adam_t)},
                                             {"sampler_state", std::to_string(optim.sampler_state)},
                                             {"train", optim.extra_json}};
  std::map<std::string, std::pair<const float*, size_t>> tensors;
  for (const auto& t : state_dict(const_cast<Weights&>(w), c)) tensors[t.name] = {t.data->data(), t.data->size()};
  for (const auto& e : ParamLayout::make(c).entries) {
    tensors["optim.exp_avg." + e.name] = {optim.exp_avg.data() + e.offset, e.numel};
    tensors["optim.exp_avg_sq." + e.name] = {optim.exp_avg_sq.data() + e.offset, e.numel};
  }
  Checksum sum;
  for (const char* key : kChecksumKeys) sum.add(meta.at(key));
  for (const auto& name : trainer_state_tensors(c)) {
    const auto& t = tensors.at(name);
    sum.add(t.first, t.second * sizeof(float));
  }
  wr.set_metadata("checksum", sum.hex());
  return wr.serialize();
}

void parse_trainer_state(const uint8_t* data, size_t size, Config* c, Weights* w, OptimState* optim) {
  const std::string what = "trainer state";
  SafeTensors st = [&] {
    try {
      return SafeTensors::parse(data, size);
    } catch (const Error& e) {
      LST_FAIL(what, " (", size, " bytes) is not a whole safetensors file: ", e.what());
    }
  }();
  const auto& md = st.metadata();
  auto kind = md.find("kind");
  LST_CHECK(kind != md.end() && kind->second == kTrainerStateKind, what,
            ": not a trainer state (no __metadata__ kind '", kTrainerStateKind,
            "'; a model file holds weights only: pass it as init)");
  Checksum sum;
  for (const char* key : kChecksumKeys) {
    auto m = md.find(key);
    LST_CHECK(m != md.end(), what, " has no metadata '", key, "'");
    sum.add(m->second);
  }
  auto cfg = md.find("config");
  Config sc = Config::from_json(cfg->second);
  for (const auto& name : trainer_state_tensors(sc)) {
    LST_CHECK(st.has(name), what, " misses '", name, "'");
    const TensorView& v = st.get(name);
    LST_CHECK(v.dtype == DType::kF32, what, ": '", name, "' is ", dtype_name(v.dtype), ", expected F32");
    sum.add(v.data, v.nbytes);
  }
  auto stored = md.find("checksum");
  LST_CHECK(stored != md.end(), what, " has no metadata 'checksum'");
  LST_CHECK(stored->second == sum.hex(), what, " is corrupted: its checksum is ", sum.hex(), ", the file says ",
            stored->second.substr(0, 16), " (bytes changed since it was saved)");
  Weights sw = load_weights(st, sc);
  OptimState so;
  read_optim_state(st, sc, what, &so);
  *c = std::move(sc);
  *w = std::move(sw);
  *optim = std::move(so);
}

}  // namespace lst::train
