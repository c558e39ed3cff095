// The trainer's options, decided once (train/trainer_options.h): the same
// defaults for `lst train` and the JS Trainer, and every bad value named.
#include <catch2/catch.hpp>

#include "train/trainer_options.h"

using namespace lst;
using namespace lst::train;

TEST_CASE("trainer options: defaults, seq from the model, every bad value named", "[train][options]") {
  Config small;
  small.num_tokens = 256;
  small.dim = 32;
  small.depth = 1;
  small.max_seq_len = 512;
  TrainerOptions d = TrainerOptions::from_json("");
  d.resolve_for(small);
  CHECK(d.batch == 4);
  CHECK(d.accum == 4);
  CHECK(d.seq == 512);            // min(1024, max_seq_len)
  CHECK(d.steps == 1000);
  CHECK(d.adam.lr == 3e-4);
  CHECK(d.clip == 0.5);
  CHECK(d.valid_every == 100);
  CHECK(d.sample_every == 500);   // the reference train.py's GENERATE_EVERY
  CHECK(d.sample_len == 512);
  Config big = small;
  big.max_seq_len = 4096;
  TrainerOptions b = TrainerOptions::from_json("{}");
  b.resolve_for(big);
  CHECK(b.seq == 1024);
  TrainerOptions g = TrainerOptions::from_json(
      R"({"seq": 64, "betas": [0.8, 0.95], "cosine": true, "seed": 7, "sample_every": 0, "threads": 2})");
  g.resolve_for(small);
  CHECK(g.seq == 64);
  CHECK(g.adam.beta1 == 0.8);
  CHECK(g.adam.beta2 == 0.95);
  CHECK(g.cosine);
  CHECK(g.seed == 7);
  CHECK(g.sample_every == 0);
  CHECK(g.threads == 2);
  CHECK(TrainerOptions::from_json(g.to_json()).to_json() == g.to_json());   // round trip
  const std::pair<const char*, const char*> cases[] = {
      {R"({"steps": -1})", "steps must be an integer in [0, "},
      {R"({"batch": 0})", "batch must be an integer in [1, "},
      {R"({"seq": 1.5})", "seq must be an integer"},
      {R"({"lr": 1e30})", "lr must be in (0, 10]"},
      {R"({"lr": 0})", "lr must be in (0, 10]"},
      {R"({"betas": [0.9]})", "betas must be [beta1, beta2]"},
      {R"({"betas": [0.9, 1]})", "betas[1] must be in [0, 1)"},
      {R"({"cosine": "yes"})", "cosine must be true or false"},
      {R"({"min_lr_ratio": 2})", "min_lr_ratio must be in [0, 1]"},
      {R"({"backend": "cuda"})", "cuda"},
      {R"({"stepz": 5})", "unknown option 'stepz'"},
      {R"({"seed": -1})", "seed must be an integer in [0, 9007199254740991]"},
      {"[1]", "trainer options must be an object"},
  };
  for (const auto& [json, message] : cases) {
    INFO(json);
    REQUIRE_THROWS_WITH(TrainerOptions::from_json(json), Catch::Contains(message));
  }
}
