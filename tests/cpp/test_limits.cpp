// Hostile configs and headers end in a named error before anything large is
// allocated or any recursion runs deep: nesting, size, depth, parameter
// count, the pad multiple, unknown keys.
#include <catch2/catch.hpp>

#include <string>

#include "core/error.h"
#include "generation/generate_options.h"
#include "io/safetensors.h"
#include "model/config.h"
#include "model/model.h"
#include "test_util.h"

using namespace lst;

TEST_CASE("configs: hostile JSON and sizes are refused by name", "[limits]") {
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  const std::pair<std::string, const char*> cases[] = {
      {"{\"num_tokens\": " + deep + "}", "nested more than 2 levels"},
      {std::string(70000, ' ') + "{}", "bytes of JSON, more than 65536"},
      {R"({"num_tokens": 256, "dim": 64, "depth": 1000000, "max_seq_len": 64})", "depth must be <= 4096"},
      {R"({"num_tokens": 16777216, "dim": 127, "depth": 4096, "max_seq_len": 64})", "parameters needs "},
      {R"({"num_tokens": 256, "dim": 64, "depth": 2, "max_seq_len": 64, "window_size": 1024, "segment_size": 1023})",
       "lcm(window_size, segment_size) = 1047552"},
      {R"({"num_tokens": 256, "dim": 64, "depth": 2, "max_seq_len": 64, "dropout": 0.1})", "unknown key 'dropout'"},
      {R"({"num_tokens": 256, "dim": 64, "depth": 2, "max_seq_len": 64, "ff_dropout": 1.5})", "'ff_dropout' must be a number in [0, 1)"},
      {R"({"num_tokens": [1], "dim": 64, "depth": 2, "max_seq_len": 64})", "'num_tokens' must be an integer, got a list"},
      // Integers past int32, as JSON floats (the config fuzzer's find: 6.2e22 used to be cast to an integer type, UB)
      // and as 64-bit integers, are out of range before any conversion.
      {R"({"num_tokens": 256, "dim": 64, "depth": 2, "max_seq_len": 64, "dim_head": 62222226222222222222224})",
       "'dim_head' out of range: 6.2222226222222225e+22"},
      {R"({"num_tokens": 256, "dim": 64, "depth": 2, "max_seq_len": 18446744073709551615})", "'max_seq_len' out of range"},
      {R"({"num_tokens": 256, "dim": 64, "depth": -9223372036854775808, "max_seq_len": 64})", "'depth' out of range"},
      {R"({"num_tokens": 256, "dim": 1e300, "depth": 2, "max_seq_len": 64})", "'dim' out of range"},
      {R"({"num_tokens": 256, "dim": 64.5, "depth": 2, "max_seq_len": 64})", "'dim' must be an integer, got 64.5"},
  };
  for (const auto& [json, message] : cases) {
    INFO(json.substr(0, 120));
    REQUIRE_THROWS_WITH(Config::from_json(json), Catch::Contains(message));
  }
  // The reference package's dropout rates are accepted (training-only).
  CHECK(Config::from_json(R"({"num_tokens": 256, "dim": 64, "depth": 2, "max_seq_len": 64, "ff_dropout": 0.1,
                              "attn_dropout": 0})").depth == 2);
  // Generation options and safetensors headers are bounded the same way.
  Config c = Config::from_json(R"({"num_tokens": 256, "dim": 64, "depth": 2, "max_seq_len": 64})");
  REQUIRE_THROWS_WITH(GenerateOptions::from_json("{\"stop\": " + deep + "}", c), Catch::Contains("nested more than 3"));
  const std::string header = "{\"a\": " + deep + "}";
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[size_t(i)] = char((header.size() >> (8 * i)) & 0xff);
  file += header;
  REQUIRE_THROWS_WITH(SafeTensors::parse(reinterpret_cast<const uint8_t*>(file.data()), file.size()),
                      Catch::Contains("nested more than 3 levels"));
}

TEST_CASE("only regular files are read: devices, pipes and folders are named errors", "[limits]") {
  // /dev/zero would be read until memory runs out.
  CHECK_THROWS_WITH(read_file_bytes("/dev/zero"), Catch::Contains("'/dev/zero' is not a regular file"));
  CHECK_THROWS_WITH(read_file_bytes("/tmp"), Catch::Contains("not a regular file"));
  CHECK_THROWS_WITH(read_file_bytes("/nonexistent/model.safetensors"), Catch::Contains("cannot open"));
}

TEST_CASE("a file holding layers past the config's depth is refused (it would load as a shallower model)", "[limits]") {
  Config two = Config::from_json(R"({"num_tokens": 11, "dim": 8, "depth": 2, "heads": 2, "dim_head": 4, "max_seq_len": 16,
                                    "window_size": 4, "segment_size": 2, "r": 1})");
  const std::vector<uint8_t> bytes = Model(two, test::random_weights(two, 1)).save_safetensors();
  const SafeTensors st = SafeTensors::parse(bytes.data(), bytes.size());
  Config one = two;
  one.depth = 1;
  CHECK_THROWS_WITH(Model::from_safetensors(st, &one),
                    Catch::Contains("holds tensor 'layers.1.") && Catch::Contains("but the config has depth 1"));
  CHECK(Model::from_safetensors(st, &two).config().depth == 2);
}
