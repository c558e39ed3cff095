#include "generation/generate_options.h"

#include <nlohmann/json.hpp>

#include <cmath>

#include "core/error.h"
#include "core/json_limits.h"

namespace lst {

namespace {

using json = nlohmann::json;

// A value for an error message: short, whatever the user sent.
std::string shown(const json& v) {
  std::string s = v.is_structured() ? (v.is_array() ? "a list" : "an object") : v.dump();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

double number(const json& v, const char* name) {
  LST_CHECK(v.is_number(), name, " must be a number, got ", shown(v));
  const double d = v.get<double>();
  LST_CHECK(std::isfinite(d), name, " must be a finite number, got ", shown(v));
  return d;
}

int64_t integer(const json& v, const char* name, int64_t lo, int64_t hi) {
  const bool ok = v.is_number_integer() || (v.is_number_float() && std::isfinite(v.get<double>()) &&
                                            v.get<double>() == std::floor(v.get<double>()) &&
                                            std::fabs(v.get<double>()) < 9.007199254740992e15);
  const int64_t i = ok ? (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX) ? INT64_MAX
                                                                                              : v.get<int64_t>())
                       : 0;
  LST_CHECK(ok && i >= lo && i <= hi, name, " must be an integer in [", lo, ", ", hi, "], got ", shown(v));
  return i;
}

// One stop sequence: a string (byte-level models: its UTF-8 bytes) or token ids.
std::vector<int32_t> stop_sequence(const json& s, const Config& c) {
  std::vector<int32_t> ids;
  if (s.is_string()) {
    LST_CHECK(c.num_tokens == 256, "stop: text stop sequences need a byte-level model (num_tokens 256); "
              "this one has ", c.num_tokens, ": give token ids");
    for (unsigned char ch : s.get<std::string>()) ids.push_back(ch);
  } else if (s.is_array()) {
    for (const json& t : s) ids.push_back(int32_t(integer(t, "each stop token", 0, c.num_tokens - 1)));
  }
  LST_CHECK(!ids.empty(), "each stop sequence must be a non-empty string or list of token ids in [0, ",
            c.num_tokens, "), got ", shown(s));
  return ids;
}

}  // namespace

GenerateOptions GenerateOptions::from_json(const std::string& json_text, const Config& c) {
  GenerateOptions o;
  json j = json::object();
  if (!json_text.empty()) {
    // The front ends send what a user typed; bound the work before parsing.
    LST_CHECK(json_text.size() <= (1u << 20), "generation options: more than 1 MB of JSON");
    check_json_nesting(json_text, 3, "generation options");
    j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
    LST_CHECK(!j.is_discarded(), "generation options are not valid JSON");
  }
  LST_CHECK(j.is_object(), "generation options must be an object, got ", shown(j));
  static const char* kKeys[] = {"max_new_tokens", "temperature", "filter_thres", "top_k", "top_p", "do_sample",
                                "seed", "eos_token", "stop", "attention", "context_mode", "reencode_every"};
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (const char* k : kKeys) known = known || key == k;
    if (!known) {
      std::string list;
      for (const char* k : kKeys) list += std::string(list.empty() ? "" : ", ") + k;
      LST_FAIL("unknown option '", key.size() > 40 ? key.substr(0, 37) + "..." : key, "' (expected ", list, ")");
    }
  }
  // A key given as null means "not given" (JS undefined does not reach JSON).
  auto given = [&](const char* k) { return j.contains(k) && !j[k].is_null(); };

  if (given("max_new_tokens")) o.max_new_tokens = int(integer(j["max_new_tokens"], "max_new_tokens", 0, 10000000));
  if (given("temperature")) {
    o.sampling.temperature = number(j["temperature"], "temperature");
    LST_CHECK(o.sampling.temperature >= 0, "temperature must be a number >= 0, got ", shown(j["temperature"]));
  }
  if (given("do_sample")) {
    LST_CHECK(j["do_sample"].is_boolean(), "do_sample must be true or false, got ", shown(j["do_sample"]));
    o.sampling.do_sample = j["do_sample"].get<bool>();
  }
  if (given("seed")) o.seed = uint64_t(integer(j["seed"], "seed", 0, 9007199254740991LL));
  if (given("top_p")) {
    o.sampling.top_p = number(j["top_p"], "top_p");
    LST_CHECK(o.sampling.top_p > 0 && o.sampling.top_p <= 1, "top_p must be in (0, 1], got ", shown(j["top_p"]));
  }
  if (given("top_k")) o.sampling.top_k = int(integer(j["top_k"], "top_k", 1, c.num_tokens));
  // Which filter applies, decided here only: filter_thres when given (the
  // reference package's rule), else top_k when given; the reference's default
  // filter_thres 0.9 only when neither top_k nor top_p asks for another filter.
  if (given("filter_thres")) {
    o.sampling.filter_thres = number(j["filter_thres"], "filter_thres");
    LST_CHECK(o.sampling.filter_thres >= 0 && o.sampling.filter_thres <= 1, "filter_thres must be in [0, 1], got ",
              shown(j["filter_thres"]));
    o.sampling.top_k = 0;
  } else if (!given("top_k") && !given("top_p")) {
    o.sampling.filter_thres = 0.9;
  }
  if (given("eos_token")) o.eos_token = int(integer(j["eos_token"], "eos_token", 0, c.num_tokens - 1));
  if (given("stop")) {
    const json& s = j["stop"];
    // One sequence (a string or a list of ids), or a list of sequences.
    const bool one = s.is_string() || (s.is_array() && !s.empty() && s[0].is_number());
    LST_CHECK(one || s.is_array(), "stop must be a string, a list of strings, or a list of token-id lists, got ",
              shown(s));
    if (one) o.stop.push_back(stop_sequence(s, c));
    else
      for (const json& seq : s) o.stop.push_back(stop_sequence(seq, c));
  }
  if (given("context_mode")) {
    const json& m = j["context_mode"];
    LST_CHECK(m == "exact" || m == "reencode", "context_mode must be 'exact' or 'reencode', got ", shown(m));
    o.context.mode = m == "exact" ? ContextMode::kExact : ContextMode::kReencode;
  }
  if (given("reencode_every"))
    o.context.reencode_every = int(integer(j["reencode_every"], "reencode_every", 0, 1000000000));
  if (given("attention")) {
    const json& a = j["attention"];
    LST_CHECK(a.is_object(), "attention must be an object { layer, head }, got ", shown(a));
    for (const auto& [key, value] : a.items())
      LST_CHECK(key == "layer" || key == "head", "attention: unknown key '", key.substr(0, 40),
                "' (expected layer, head)");
    o.probe_layer = a.contains("layer") && !a["layer"].is_null()
                        ? int(integer(a["layer"], "attention.layer", 0, c.depth - 1)) : 0;
    o.probe_head = a.contains("head") && !a["head"].is_null()
                       ? int(integer(a["head"], "attention.head", 0, c.heads - 1)) : 0;
  }
  validate(o.sampling);
  return o;
}

}  // namespace lst
