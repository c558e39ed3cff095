#include "model/config.h"

#include <nlohmann/json.hpp>
#include <numeric>

#include "core/error.h"

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
  if (causal) {
    positive("segment_size", segment_size);
    LST_CHECK(r < segment_size, "config: causal mode needs r < segment_size, got r=", r,
              " segment_size=", segment_size);
    LST_CHECK(pad_multiple() <= (1 << 20), "config: lcm(window_size, segment_size) = ",
              pad_multiple(), " is unreasonably large");
  }
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
}

namespace {
int get_int(const nlohmann::json& j, const char* key, int fallback, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    LST_CHECK(!required, "config: missing required key '", key, "'");
    return fallback;
  }
  LST_CHECK(it->is_number_integer() || (it->is_number_float() && it->get<double>() == double(int64_t(it->get<double>()))),
            "config: '", key, "' must be an integer, got ", it->dump());
  int64_t v = it->is_number_integer() ? it->get<int64_t>() : int64_t(it->get<double>());
  LST_CHECK(v >= INT32_MIN && v <= INT32_MAX, "config: '", key, "' out of range: ", v);
  return static_cast<int>(v);
}
}  // namespace

Config Config::from_json(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    LST_FAIL("config: invalid JSON: ", e.what());
  }
  LST_CHECK(j.is_object(), "config: expected a JSON object of the seed's kwargs");
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
  return j.dump();
}

bool Config::operator==(const Config& o) const {
  return num_tokens == o.num_tokens && dim == o.dim && depth == o.depth &&
         max_seq_len == o.max_seq_len && window_size == o.window_size &&
         causal == o.causal && dim_head == o.dim_head && heads == o.heads &&
         ff_mult == o.ff_mult && segment_size == o.segment_size && r == o.r;
}

}  // namespace lst
