#include "train/trainer_options.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/json_limits.h"

namespace lst::train {

namespace {

using json = nlohmann::json;

std::string shown(const json& v) {
  if (v.is_array()) return "a list";
  if (v.is_object()) return "an object";
  std::string s = v.dump();
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

int64_t integer(const json& v, const char* name, int64_t lo, int64_t hi) {
  const bool ok = v.is_number_integer() || (v.is_number_float() && std::isfinite(v.get<double>()) &&
                                            v.get<double>() == std::floor(v.get<double>()) &&
                                            std::fabs(v.get<double>()) < 9.007199254740992e15);
  const int64_t i = ok ? v.get<int64_t>() : 0;
  LST_CHECK(ok && i >= lo && i <= hi, name, " must be an integer in [", lo, ", ", hi, "], got ", shown(v));
  return i;
}

double number(const json& v, const char* name, double lo, double hi, bool open_lo = false, bool open_hi = false) {
  LST_CHECK(v.is_number() && std::isfinite(v.get<double>()), name, " must be a finite number, got ", shown(v));
  const double d = v.get<double>();
  const bool ok = (open_lo ? d > lo : d >= lo) && (open_hi ? d < hi : d <= hi);
  LST_CHECK(ok, name, " must be in ", open_lo ? "(" : "[", lo, ", ", hi, open_hi ? ")" : "]", ", got ", shown(v));
  return d;
}

}  // namespace

TrainerOptions TrainerOptions::from_json(const std::string& json_text) {
  TrainerOptions o;
  o.seq = 0;   // resolve_for() decides
  json j = json::object();
  if (!json_text.empty()) {
    LST_CHECK(json_text.size() <= (1u << 16), "trainer options: more than 64 KB of JSON");
    check_json_nesting(json_text, 2, "trainer options");
    j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
    LST_CHECK(!j.is_discarded(), "trainer options are not valid JSON");
  }
  LST_CHECK(j.is_object(), "trainer options must be an object, got ", shown(j));
  static const char* kKeys[] = {"batch", "accum", "seq", "steps", "lr", "betas", "eps", "weight_decay", "clip",
                                "warmup", "cosine", "min_lr_ratio", "valid_every", "valid_batches",
                                "sample_every", "sample_len", "sample_prime", "checkpoint_every", "seed",
                                "threads", "backend"};
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (const char* k : kKeys) known = known || key == k;
    if (!known) {
      std::string list;
      for (const char* k : kKeys) list += std::string(list.empty() ? "" : ", ") + k;
      LST_FAIL("unknown option '", key.size() > 40 ? key.substr(0, 37) + "..." : key, "' (expected ", list, ")");
    }
  }
  auto given = [&](const char* k) { return j.contains(k) && !j[k].is_null(); };
  const int64_t kBig = int64_t(1) << 40;
  if (given("batch")) o.batch = integer(j["batch"], "batch", 1, 1 << 20);
  if (given("accum")) o.accum = integer(j["accum"], "accum", 1, 1 << 20);
  if (given("seq")) o.seq = integer(j["seq"], "seq", 1, 1 << 20);
  if (given("steps")) o.steps = integer(j["steps"], "steps", 0, kBig);
  if (given("lr")) o.adam.lr = number(j["lr"], "lr", 0, 10, /*open_lo=*/true);
  if (given("betas")) {
    const json& b = j["betas"];
    LST_CHECK(b.is_array() && b.size() == 2, "betas must be [beta1, beta2], got ", shown(b));
    o.adam.beta1 = number(b[0], "betas[0]", 0, 1, false, true);
    o.adam.beta2 = number(b[1], "betas[1]", 0, 1, false, true);
  }
  if (given("eps")) o.adam.eps = number(j["eps"], "eps", 0, 1, true);
  if (given("weight_decay")) o.adam.weight_decay = number(j["weight_decay"], "weight_decay", 0, 1e6);
  if (given("clip")) o.clip = number(j["clip"], "clip", -1e30, 1e30);
  if (given("warmup")) o.warmup = integer(j["warmup"], "warmup", 0, kBig);
  if (given("cosine")) {
    LST_CHECK(j["cosine"].is_boolean(), "cosine must be true or false, got ", shown(j["cosine"]));
    o.cosine = j["cosine"].get<bool>();
  }
  if (given("min_lr_ratio")) o.min_lr_ratio = number(j["min_lr_ratio"], "min_lr_ratio", 0, 1);
  if (given("valid_every")) o.valid_every = integer(j["valid_every"], "valid_every", 0, kBig);
  if (given("valid_batches")) o.valid_batches = integer(j["valid_batches"], "valid_batches", 1, 1 << 20);
  if (given("sample_every")) o.sample_every = integer(j["sample_every"], "sample_every", 0, kBig);
  if (given("sample_len")) o.sample_len = integer(j["sample_len"], "sample_len", 0, 1 << 24);
  if (given("sample_prime")) o.sample_prime = integer(j["sample_prime"], "sample_prime", 0, 1 << 20);
  if (given("checkpoint_every")) o.checkpoint_every = integer(j["checkpoint_every"], "checkpoint_every", 0, kBig);
  if (given("seed")) o.seed = uint64_t(integer(j["seed"], "seed", 0, 9007199254740991LL));
  if (given("threads")) o.threads = int(integer(j["threads"], "threads", 1, 256));
  if (given("backend")) {
    LST_CHECK(j["backend"].is_string(), "backend must be 'builtin' or 'xnnpack', got ", shown(j["backend"]));
    const std::string b = j["backend"].get<std::string>();
    if (!b.empty()) o.backend = parse_gemm_backend(b.c_str());
  }
  return o;
}

void TrainerOptions::resolve_for(const Config& c) {
  if (seq == 0) seq = std::min<int64_t>(1024, c.max_seq_len);
}

std::string TrainerOptions::to_json() const {
  return json{{"batch", batch}, {"accum", accum}, {"seq", seq}, {"steps", steps}, {"lr", adam.lr},
              {"betas", {adam.beta1, adam.beta2}}, {"eps", adam.eps}, {"weight_decay", adam.weight_decay},
              {"clip", clip}, {"warmup", warmup}, {"cosine", cosine}, {"min_lr_ratio", min_lr_ratio},
              {"valid_every", valid_every}, {"valid_batches", valid_batches}, {"sample_every", sample_every},
              {"sample_len", sample_len}, {"sample_prime", sample_prime}, {"checkpoint_every", checkpoint_every},
              {"seed", seed}, {"threads", threads}, {"backend", gemm_backend_name(backend)}}
      .dump();
}

}  // namespace lst::train
