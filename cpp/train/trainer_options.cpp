#include "train/trainer_options.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/json_options.h"

namespace lst::train {

using namespace json_options;

namespace {

// A number in a range, open or closed at either end.
double number_in(const json& v, const char* name, double lo, double hi, bool open_lo = false, bool open_hi = false) {
  const double d = number(v, name);
  const bool ok = (open_lo ? d > lo : d >= lo) && (open_hi ? d < hi : d <= hi);
  LST_CHECK(ok, name, " must be in ", open_lo ? "(" : "[", lo, ", ", hi, open_hi ? ")" : "]", ", got ", shown(v));
  return d;
}

}  // namespace

TrainerOptions TrainerOptions::from_json(const std::string& json_text) {
  TrainerOptions o;
  o.seq = 0;   // resolve_for() decides
  const json j = parse_object(json_text, 1u << 16, 2, "trainer options");
  check_keys(j, {"batch", "accum", "seq", "steps", "lr", "betas", "eps", "weight_decay", "clip", "warmup", "cosine",
                 "min_lr_ratio", "valid_every", "valid_batches", "sample_every", "sample_len", "sample_prime",
                 "checkpoint_every", "seed", "threads", "backend"});
  auto has = [&](const char* k) { return given(j, k); };
  const int64_t kBig = int64_t(1) << 40;
  if (has("batch")) o.batch = integer(j["batch"], "batch", 1, 1 << 20);
  if (has("accum")) o.accum = integer(j["accum"], "accum", 1, 1 << 20);
  if (has("seq")) o.seq = integer(j["seq"], "seq", 1, 1 << 20);
  if (has("steps")) o.steps = integer(j["steps"], "steps", 0, kBig);
  if (has("lr")) o.adam.lr = number_in(j["lr"], "lr", 0, 10, /*open_lo=*/true);
  if (has("betas")) {
    const json& b = j["betas"];
    LST_CHECK(b.is_array() && b.size() == 2, "betas must be [beta1, beta2], got ", shown(b));
    o.adam.beta1 = number_in(b[0], "betas[0]", 0, 1, false, true);
    o.adam.beta2 = number_in(b[1], "betas[1]", 0, 1, false, true);
  }
  if (has("eps")) o.adam.eps = number_in(j["eps"], "eps", 0, 1, true);
  if (has("weight_decay")) o.adam.weight_decay = number_in(j["weight_decay"], "weight_decay", 0, 1e6);
  if (has("clip")) o.clip = number(j["clip"], "clip");
  if (has("warmup")) o.warmup = integer(j["warmup"], "warmup", 0, kBig);
  if (has("cosine")) {
    o.cosine = boolean(j["cosine"], "cosine");
  }
  if (has("min_lr_ratio")) o.min_lr_ratio = number_in(j["min_lr_ratio"], "min_lr_ratio", 0, 1);
  if (has("valid_every")) o.valid_every = integer(j["valid_every"], "valid_every", 0, kBig);
  if (has("valid_batches")) o.valid_batches = integer(j["valid_batches"], "valid_batches", 1, 1 << 20);
  if (has("sample_every")) o.sample_every = integer(j["sample_every"], "sample_every", 0, kBig);
  if (has("sample_len")) o.sample_len = integer(j["sample_len"], "sample_len", 0, 1 << 24);
  if (has("sample_prime")) o.sample_prime = integer(j["sample_prime"], "sample_prime", 0, 1 << 20);
  if (has("checkpoint_every")) o.checkpoint_every = integer(j["checkpoint_every"], "checkpoint_every", 0, kBig);
  if (has("seed")) o.seed = uint64_t(integer(j["seed"], "seed", 0, 9007199254740991LL));
  if (has("threads")) o.threads = int(integer(j["threads"], "threads", 1, 256));
  if (has("backend")) {
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
