#include "model/config.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

#include "core/error.h"
#include "core/json_options.h"
#include "model/weights.h"

namespace lst {

int Config::pad_multiple() const {
  if (!causal) return window_size;
  return static_cast<int>(std::lcm<int64_t>(window_size, segment_size));
}

int64_t Config::padded_length(int64_t n) const {
  int64_t p = pad_multiple();
  return (n + p - 1) / p * p;
}

void Config::validate() const {
  auto positive = [](const char* name, int v) {
    LST_CHECK(v >= 1, "config: ", name, " must be >= 1, got ", v);
  };
  positive("num_tokens", num_tokens);
  positive("dim", dim);
  positive("depth", depth);
  positive("max_seq_len", max_seq_len);
  positive("window_size", window_size);
  positive("dim_head", dim_head);
  positive("heads", heads);
  positive("ff_mult", ff_mult);
  positive("r", r);
  LST_CHECK(ff_dropout >= 0 && ff_dropout < 1, "config: ff_dropout must be in [0, 1), got ", ff_dropout);
  LST_CHECK(attn_dropout >= 0 && attn_dropout < 1, "config: attn_dropout must be in [0, 1), got ", attn_dropout);
  if (causal) {
    positive("segment_size", segment_size);
    LST_CHECK(r < segment_size, "config: causal mode needs r < segment_size, got r=", r,
              " segment_size=", segment_size);
    // Every forward pass pads to a multiple of lcm(w, s) rows (docs/SPEC.md §1): bound it
    // before anything pads 3 tokens to a million rows.
    LST_CHECK(pad_multiple() <= kMaxPadMultiple, "config: lcm(window_size, segment_size) = ", pad_multiple(),
              " (every forward pass pads to a multiple of it) is more than ", kMaxPadMultiple,
              ": choose window_size and segment_size with a small common multiple (e.g. one divides the other)");
  }
  LST_CHECK(depth <= kMaxDepth, "config: depth must be <= ", kMaxDepth, ", got ", depth);
  // Guard against sizes whose products overflow 32-bit index math.
  LST_CHECK(int64_t(heads) * dim_head <= (1 << 20), "config: heads*dim_head too large");
  LST_CHECK(int64_t(dim) * ff_mult <= (1 << 22), "config: dim*ff_mult too large");
  LST_CHECK(num_tokens <= (1 << 24), "config: num_tokens too large (", num_tokens, ")");
  // Every weight matrix must be indexable with 31 bits (wasm32 has a 32-bit
  // size_t): num_tokens x dim, inner x dim and hidden x dim.
  const int64_t kMaxElements = int64_t(1) << 31;
  LST_CHECK(int64_t(num_tokens) * dim < kMaxElements, "config: num_tokens x dim = ",
            int64_t(num_tokens) * dim, " weights in one matrix, more than 2^31");
  LST_CHECK(int64_t(inner()) * dim < kMaxElements, "config: heads x dim_head x dim too large");
  LST_CHECK(int64_t(ff_hidden()) * dim < kMaxElements, "config: dim x ff_mult x dim too large");
  // The whole model, checked before anything is allocated.
  const int64_t params = count_parameters(*this);
#ifdef __EMSCRIPTEN__
  const char* holder = "the 4 GB WebAssembly heap";
#else
  const char* holder = "this build holds (2^32 parameters)";
#endif
  LST_CHECK(params <= kMaxParameters, "config: ", params, " parameters needs ", double(params) * 4 / 1e9,
            " GB as float32, more than ", holder);
}

namespace {
using json_options::shown;

int get_int(const nlohmann::json& j, const char* key, int fallback, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    LST_CHECK(!required, "config: missing required key '", key, "'");
    return fallback;
  }
  const nlohmann::json& v = *it;
  const bool integral_float =
      v.is_number_float() && std::isfinite(v.get<double>()) && v.get<double>() == std::floor(v.get<double>());
  LST_CHECK(v.is_number_integer() || integral_float, "config: '", key, "' must be an integer, got ", shown(v));
  // Range-checked in double (exact for every int32) before any cast to an
  // integer type: 6.2e22 or 2^64 must never be converted (the fuzzer's find).
  const double d = v.is_number_unsigned() ? double(v.get<uint64_t>())
                   : v.is_number_integer() ? double(v.get<int64_t>())
                                           : v.get<double>();
  LST_CHECK(d >= INT32_MIN && d <= INT32_MAX, "config: '", key, "' out of range: ", shown(v));
  return static_cast<int>(d);
}
}  // namespace

// The reference package's constructor kwargs (docs/SPEC.md §1), and its
// dropout rates, which only training uses: any other key is refused, as the
// reference package's constructor refuses it.
static const char* const kKeys[] = {"num_tokens", "dim", "depth", "max_seq_len", "window_size", "causal", "dim_head",
                                    "heads", "ff_mult", "segment_size", "r", "ff_dropout", "attn_dropout"};

Config Config::from_json(const std::string& text) {
  // Bound the input before parsing: a config is a few hundred bytes of flat JSON.
  LST_CHECK(text.size() <= kMaxJsonBytes, "config: ", text.size(), " bytes of JSON, more than ", kMaxJsonBytes);
  check_json_nesting(text, 2, "config");
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  LST_CHECK(!j.is_discarded(), "config: invalid JSON");
  LST_CHECK(j.is_object(), "config: expected a JSON object of the reference package's kwargs, got ", shown(j));
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (const char* k : kKeys) known = known || key == k;
    LST_CHECK(known, "config: unknown key '", key.size() > 40 ? key.substr(0, 37) + "..." : key,
              "' (the reference package's LongShortTransformer takes num_tokens, dim, depth, max_seq_len, "
              "window_size, causal, dim_head, heads, ff_mult, segment_size, r, ff_dropout, attn_dropout)");
  }
  for (const char* k : {"ff_dropout", "attn_dropout"}) {
    if (!j.contains(k) || j[k].is_null()) continue;
    LST_CHECK(j[k].is_number() && j[k].get<double>() >= 0 && j[k].get<double>() < 1, "config: '", k,
              "' must be a number in [0, 1), got ", shown(j[k]));
  }
  Config c;
  if (auto it = j.find("causal"); it != j.end() && !it->is_null()) {
    LST_CHECK(it->is_boolean(), "config: 'causal' must be true or false");
    c.causal = it->get<bool>();
  }
  c.num_tokens = get_int(j, "num_tokens", 0, true);
  c.dim = get_int(j, "dim", 0, true);
  c.depth = get_int(j, "depth", 0, true);
  c.max_seq_len = get_int(j, "max_seq_len", 0, true);
  c.window_size = get_int(j, "window_size", 128, false);
  c.dim_head = get_int(j, "dim_head", 64, false);
  c.heads = get_int(j, "heads", 8, false);
  c.ff_mult = get_int(j, "ff_mult", 4, false);
  c.segment_size = c.causal ? get_int(j, "segment_size", 16, false) : 0;
  c.r = get_int(j, "r", c.causal ? 1 : 128, false);
  if (j.contains("ff_dropout") && !j["ff_dropout"].is_null()) c.ff_dropout = j["ff_dropout"].get<double>();
  if (j.contains("attn_dropout") && !j["attn_dropout"].is_null()) c.attn_dropout = j["attn_dropout"].get<double>();
  c.validate();
  return c;
}

std::string Config::to_json() const {
  nlohmann::json j = {{"num_tokens", num_tokens}, {"dim", dim},
                      {"depth", depth},           {"heads", heads},
                      {"dim_head", dim_head},     {"max_seq_len", max_seq_len},
                      {"window_size", window_size}, {"causal", causal},
                      {"r", r},                   {"ff_mult", ff_mult}};
  if (causal)
    j["segment_size"] = segment_size;
  else
    j["segment_size"] = nullptr;
  // Written only when set, so files of models trained without dropout keep
  // their config; the reference constructor takes both keys.
  if (ff_dropout > 0) j["ff_dropout"] = ff_dropout;
  if (attn_dropout > 0) j["attn_dropout"] = attn_dropout;
  return j.dump();
}

bool Config::operator==(const Config& o) const {
  return num_tokens == o.num_tokens && dim == o.dim && depth == o.depth &&
         max_seq_len == o.max_seq_len && window_size == o.window_size &&
         causal == o.causal && dim_head == o.dim_head && heads == o.heads &&
         ff_mult == o.ff_mult && segment_size == o.segment_size && r == o.r;
}

}  // namespace lst
