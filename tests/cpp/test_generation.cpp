// The generation layer's rules, decided once: the options object every front
// end sends (GenerateOptions::from_json), and the session's finish reasons,
// stop sequences and max_seq_len warning.
#include <catch2/catch.hpp>

#include <algorithm>

#include "core/error.h"
#include "generation/generate.h"
#include "test_util.h"

using namespace lst;

namespace {
Config small_causal(int num_tokens = 256, int max_seq_len = 32) {
  Config c;
  c.num_tokens = num_tokens;
  c.dim = 16;
  c.depth = 2;
  c.heads = 2;
  c.dim_head = 8;
  c.window_size = 4;
  c.segment_size = 4;
  c.r = 1;
  c.max_seq_len = max_seq_len;
  return c;
}
}  // namespace

TEST_CASE("generation options: defaults and which filter applies", "[generate]") {
  const Config c = small_causal();
  const GenerateOptions d = GenerateOptions::from_json("", c);
  CHECK(d.max_new_tokens == 256);
  CHECK(d.sampling.filter_thres == 0.9);   // the reference package's default
  CHECK(d.sampling.top_k == 0);
  CHECK(d.sampling.top_p == 1.0);
  CHECK(d.sampling.temperature == 1.0);
  CHECK(d.sampling.do_sample);
  CHECK(d.context.mode == ContextMode::kExact);
  CHECK(d.probe_layer == -1);
  // top_p alone: nucleus sampling without the 0.9 filter; top_k alone: top-k only.
  const GenerateOptions p = GenerateOptions::from_json(R"({"top_p": 0.8})", c);
  CHECK(p.sampling.filter_thres < 0);
  CHECK(p.sampling.top_p == 0.8);
  const GenerateOptions k = GenerateOptions::from_json(R"({"top_k": 7, "top_p": 0.5})", c);
  CHECK(k.sampling.filter_thres < 0);
  CHECK(k.sampling.top_k == 7);
  CHECK(k.sampling.top_p == 0.5);
  // filter_thres given wins over top_k.
  const GenerateOptions f = GenerateOptions::from_json(R"({"filter_thres": 0.5, "top_k": 7})", c);
  CHECK(f.sampling.filter_thres == 0.5);
  CHECK(f.sampling.top_k == 0);
  // null means "not given".
  CHECK(GenerateOptions::from_json(R"({"top_k": null, "eos_token": null})", c).sampling.filter_thres == 0.9);
  const GenerateOptions all = GenerateOptions::from_json(
      R"({"max_new_tokens": 5, "temperature": 0, "do_sample": false, "seed": 9007199254740991, "eos_token": 10,
          "stop": ["ab", [1, 2]], "context_mode": "reencode", "reencode_every": 8, "attention": {"layer": 1}})", c);
  CHECK(all.max_new_tokens == 5);
  CHECK(all.seed == 9007199254740991ull);
  CHECK(all.eos_token == 10);
  REQUIRE(all.stop.size() == 2);
  CHECK(all.stop[0] == std::vector<int32_t>{'a', 'b'});
  CHECK(all.stop[1] == std::vector<int32_t>{1, 2});
  CHECK(all.context.mode == ContextMode::kReencode);
  CHECK(all.context.reencode_every == 8);
  CHECK(all.probe_layer == 1);
  CHECK(all.probe_head == 0);
  // One stop sequence as a string or a list of ids.
  CHECK(GenerateOptions::from_json(R"({"stop": "\n\n"})", c).stop.size() == 1);
  CHECK(GenerateOptions::from_json(R"({"stop": [3, 4]})", c).stop == std::vector<std::vector<int32_t>>{{3, 4}});
}

TEST_CASE("generation options: every bad value is named", "[generate]") {
  const Config c = small_causal(50);
  const std::pair<const char*, const char*> cases[] = {
      {R"({"max_new_tokens": -1})", "max_new_tokens must be an integer in [0, 10000000], got -1"},
      {R"({"max_new_tokens": 4294967299})", "max_new_tokens must be an integer"},
      {R"({"max_new_tokens": 1.5})", "max_new_tokens must be an integer"},
      {R"({"temperature": -1})", "temperature must be a number >= 0, got -1"},
      {R"({"temperature": "hot"})", "temperature must be a number, got \"hot\""},
      {R"({"filter_thres": -0.5})", "filter_thres must be in [0, 1]"},
      {R"({"top_p": 0})", "top_p must be in (0, 1]"},
      {R"({"top_k": 0})", "top_k must be an integer in [1, 50]"},
      {R"({"seed": -1})", "seed must be an integer in [0, 9007199254740991]"},
      {R"({"eos_token": 999})", "eos_token must be an integer in [0, 49]"},
      {R"({"do_sample": 1})", "do_sample must be true or false"},
      {R"({"stop": [[]]})", "each stop sequence must be a non-empty"},
      {R"({"stop": "x"})", "text stop sequences need a byte-level model"},
      {R"({"stop": 5})", "stop must be a string, a list of strings, or a list of token-id lists"},
      {R"({"context_mode": "fast"})", "context_mode must be 'exact' or 'reencode'"},
      {R"({"attention": 5})", "attention must be an object { layer, head }"},
      {R"({"attention": {"layer": 9}})", "attention.layer must be an integer in [0, 1]"},
      {R"({"attention": {"lyer": 0}})", "attention: unknown key 'lyer'"},
      {R"({"frobnicate": 1})", "unknown option 'frobnicate'"},
      {R"([1, 2])", "generation options must be an object"},
      {R"({"seed": )", "generation options are not valid JSON"},
  };
  for (const auto& [json, message] : cases) {
    INFO(json);
    REQUIRE_THROWS_WITH(GenerateOptions::from_json(json, c), Catch::Contains(message));
  }
  // Hostile input never comes back whole in a message.
  const std::string long_key(10000, 'k');
  try {
    GenerateOptions::from_json("{\"" + long_key + "\": 1}", c);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).size() < 400);
  }
}

TEST_CASE("a session stops at eos and stop sequences, ending with them, and flags max_seq_len once", "[generate]") {
  const Config c = small_causal(40, 16);
  Model model(c, test::random_weights(c, 5));
  IncrementalDecoder dec(model);
  const std::vector<int32_t> prompt = {0, 1, 2};
  GenerateOptions o = GenerateOptions::from_json(R"({"max_new_tokens": 30, "do_sample": false})", c);
  const GenerateResult all = generate(dec, prompt.data(), 3, o);
  REQUIRE(all.tokens.size() == 30);
  CHECK(all.finish == FinishReason::kLength);
  // 3 prompt tokens: the 14th new token (index 13) fills max_seq_len 16; the step after it re-encodes.
  CHECK(all.passes_context_limit_at == 13);
  // A stop sequence taken from the middle: the output is the same tokens up to
  // its first occurrence, and ends with it.
  const std::vector<int32_t> stop = {all.tokens[7], all.tokens[8]};
  o.stop = {stop};
  const GenerateResult st = generate(dec, prompt.data(), 3, o);
  CHECK(st.finish == FinishReason::kStop);
  REQUIRE(st.tokens.size() >= 2);
  CHECK(std::equal(stop.begin(), stop.end(), st.tokens.end() - 2));
  CHECK(std::equal(st.tokens.begin(), st.tokens.end(), all.tokens.begin()));
  for (size_t n = 2; n < st.tokens.size(); ++n)
    CHECK_FALSE(std::equal(stop.begin(), stop.end(), st.tokens.begin() + n - 2));
  // eos: included, and the first occurrence.
  o.stop.clear();
  o.eos_token = all.tokens[5];
  const GenerateResult eos = generate(dec, prompt.data(), 3, o);
  CHECK(eos.finish == FinishReason::kEos);
  CHECK(eos.tokens.back() == all.tokens[5]);
  CHECK(size_t(std::find(all.tokens.begin(), all.tokens.end(), all.tokens[5]) - all.tokens.begin()) + 1 ==
        eos.tokens.size());
  // The fast mode re-encodes only now and then: no warning; nor a run that ends at max_seq_len.
  IncrementalDecoder fast(model, DecoderOptions{ContextMode::kReencode, 0});
  o = GenerateOptions::from_json(R"({"max_new_tokens": 30, "do_sample": false, "context_mode": "reencode"})", c);
  CHECK(generate(fast, prompt.data(), 3, o).passes_context_limit_at == -1);
  o = GenerateOptions::from_json(R"({"max_new_tokens": 13, "do_sample": false})", c);
  CHECK(generate(dec, prompt.data(), 3, o).passes_context_limit_at == -1);
  // A session refuses to run past its end.
  GenerationSession s(dec, o);
  s.prefill(prompt.data(), 3);
  for (int i = 0; i < 13; ++i) s.next();
  CHECK_THROWS_WITH(s.next(), Catch::Contains("has finished"));
}
