#include "generation/generate_options.h"

#include "core/error.h"
#include "core/json_options.h"

namespace lst {

using namespace json_options;

namespace {

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
  // Three levels at most: a list of stop sequences, each a list of ids.
  const json j = parse_object(json_text, 1u << 20, 3, "generation options");
  check_keys(j, {"max_new_tokens", "temperature", "filter_thres", "top_k", "top_p", "do_sample", "seed", "eos_token",
                 "stop", "attention", "context_mode", "reencode_every"});

  if (given(j, "max_new_tokens")) o.max_new_tokens = int(integer(j["max_new_tokens"], "max_new_tokens", 0, 10000000));
  if (given(j, "temperature")) {
    o.sampling.temperature = number(j["temperature"], "temperature");
    LST_CHECK(o.sampling.temperature >= 0, "temperature must be a number >= 0, got ", shown(j["temperature"]));
  }
  if (given(j, "do_sample")) o.sampling.do_sample = boolean(j["do_sample"], "do_sample");
  if (given(j, "seed")) o.seed = uint64_t(integer(j["seed"], "seed", 0, 9007199254740991LL));
  if (given(j, "top_p")) {
    o.sampling.top_p = number(j["top_p"], "top_p");
    LST_CHECK(o.sampling.top_p > 0 && o.sampling.top_p <= 1, "top_p must be in (0, 1], got ", shown(j["top_p"]));
  }
  if (given(j, "top_k")) o.sampling.top_k = int(integer(j["top_k"], "top_k", 1, c.num_tokens));
  // Which filter applies, decided here only: filter_thres when given (the
  // reference package's rule), else top_k when given; the reference's default
  // filter_thres 0.9 only when neither top_k nor top_p asks for another filter.
  if (given(j, "filter_thres")) {
    o.sampling.filter_thres = number(j["filter_thres"], "filter_thres");
    LST_CHECK(o.sampling.filter_thres >= 0 && o.sampling.filter_thres <= 1, "filter_thres must be in [0, 1], got ",
              shown(j["filter_thres"]));
    o.sampling.top_k = 0;
  } else if (!given(j, "top_k") && !given(j, "top_p")) {
    o.sampling.filter_thres = 0.9;
  }
  if (given(j, "eos_token")) o.eos_token = int(integer(j["eos_token"], "eos_token", 0, c.num_tokens - 1));
  if (given(j, "stop")) {
    const json& s = j["stop"];
    // One sequence (a string or a list of ids), or a list of sequences.
    const bool one = s.is_string() || (s.is_array() && !s.empty() && s[0].is_number());
    LST_CHECK(one || s.is_array(), "stop must be a string, a list of strings, or a list of token-id lists, got ",
              shown(s));
    if (one) o.stop.push_back(stop_sequence(s, c));
    else
      for (const json& seq : s) o.stop.push_back(stop_sequence(seq, c));
  }
  if (given(j, "context_mode")) {
    const json& m = j["context_mode"];
    LST_CHECK(m == "exact" || m == "reencode", "context_mode must be 'exact' or 'reencode', got ", shown(m));
    o.context.mode = m == "exact" ? ContextMode::kExact : ContextMode::kReencode;
  }
  if (given(j, "reencode_every"))
    o.context.reencode_every = int(integer(j["reencode_every"], "reencode_every", 0, 1000000000));
  if (given(j, "attention")) {
    const json& a = j["attention"];
    LST_CHECK(a.is_object(), "attention must be an object { layer, head }, got ", shown(a));
    for (const auto& [key, value] : a.items())
      LST_CHECK(key == "layer" || key == "head", "attention: unknown key '", key.substr(0, 40),
                "' (expected layer, head)");
    o.probe_layer = given(a, "layer") ? int(integer(a["layer"], "attention.layer", 0, c.depth - 1)) : 0;
    o.probe_head = given(a, "head") ? int(integer(a["head"], "attention.head", 0, c.heads - 1)) : 0;
  }
  validate(o.sampling);
  return o;
}

}  // namespace lst
