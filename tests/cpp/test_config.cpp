#include <catch2/catch.hpp>

#include "core/error.h"
#include "model/config.h"

using lst::Config;

TEST_CASE("config takes the reference package's defaults, which depend on causal", "[config]") {
  Config c = Config::from_json(R"({"num_tokens": 256, "dim": 512, "depth": 6, "max_seq_len": 1024})");
  CHECK(c.causal);
  CHECK(c.window_size == 128);
  CHECK(c.segment_size == 16);
  CHECK(c.r == 1);
  CHECK(c.heads == 8);
  CHECK(c.dim_head == 64);
  CHECK(c.ff_mult == 4);
  CHECK(c.pad_multiple() == 128);
  Config nc = Config::from_json(
      R"({"num_tokens": 20000, "dim": 512, "depth": 6, "max_seq_len": 1024, "causal": false, "segment_size": null})");
  CHECK(nc.r == 128);
  CHECK(nc.segment_size == 0);
  CHECK(nc.pad_multiple() == 128);
  CHECK(Config::from_json(nc.to_json()) == nc);
  CHECK(Config::from_json(c.to_json()) == c);
}

TEST_CASE("pad multiple is lcm(w, s) when causal", "[config]") {
  Config c = Config::from_json(R"({"num_tokens": 4, "dim": 4, "depth": 1, "max_seq_len": 8, "window_size": 6, "segment_size": 4})");
  CHECK(c.pad_multiple() == 12);
  CHECK(c.padded_length(1) == 12);
  CHECK(c.padded_length(12) == 12);
  CHECK(c.padded_length(13) == 24);
}

TEST_CASE("config errors name the field", "[config]") {
  using Catch::Contains;
  const char* base = R"("num_tokens": 4, "dim": 4, "depth": 1, "max_seq_len": 8)";
  auto with = [&](const std::string& extra) { return "{" + std::string(base) + extra + "}"; };
  REQUIRE_THROWS_WITH(Config::from_json(with(R"(, "r": 16, "segment_size": 16)")), Contains("r < segment_size"));
  REQUIRE_THROWS_WITH(Config::from_json(with(R"(, "heads": 0)")), Contains("heads must be >= 1"));
  REQUIRE_THROWS_WITH(Config::from_json(with(R"(, "window_size": -3)")), Contains("window_size must be >= 1"));
  REQUIRE_THROWS_WITH(Config::from_json(with(R"(, "dim_head": 2.5)")), Contains("'dim_head' must be an integer"));
  REQUIRE_THROWS_WITH(Config::from_json(with(R"(, "causal": "yes")")), Contains("'causal' must be true or false"));
  REQUIRE_THROWS_WITH(Config::from_json(R"({"dim": 4, "depth": 1, "max_seq_len": 8})"), Contains("missing required key 'num_tokens'"));
  REQUIRE_THROWS_WITH(Config::from_json("{not json"), Contains("invalid JSON"));
  REQUIRE_THROWS_WITH(Config::from_json("[1, 2]"), Contains("JSON object"));
  REQUIRE_THROWS_AS(Config::from_json(with(R"(, "segment_size": 0)")), lst::Error);
  REQUIRE_THROWS_WITH(Config::from_json(R"({"num_tokens": 16777216, "dim": 1024, "depth": 1, "max_seq_len": 8})"),
                      Contains("more than 2^31"));
}
