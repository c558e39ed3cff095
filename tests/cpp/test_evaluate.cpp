// One evaluation: the model's evaluate_bytes (model/evaluate.h, used by
// lst eval-text and the JS API) agrees with the training graph's loss on the
// same windows, and names bad input.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "model/evaluate.h"
#include "train/trainer.h"
#include "test_util.h"

using namespace lst;

TEST_CASE("evaluate_bytes through the model equals the training graph's loss", "[evaluate]") {
  const Config c = test::byte_config(32, 2, 16, 8, 40);
  const Weights w = test::random_weights(c, 11);
  std::mt19937 rng(5);
  std::vector<uint8_t> data(333);
  for (auto& b : data) b = uint8_t(rng() % 256);
  Model model(c, Weights(w));
  for (int64_t seq : {40, 17, 1}) {
    const Evaluation e = evaluate_bytes(model, data.data(), data.size(), seq);
    const double ref = train::evaluate_bytes(c, w, data, seq, 3, 1);
    INFO("seq " << seq);
    CHECK(e.predicted == int64_t(data.size()) - 1);
    CHECK(std::fabs(e.nats_per_byte - ref) < 2e-5);
    CHECK(e.nats_per_byte > 4.0);   // near log(256) = 5.55 for random weights and data
  }
  CHECK(evaluate_bytes(model, data.data(), data.size(), 40, 2).predicted == 80);
  CHECK_THROWS_WITH(evaluate_bytes(model, data.data(), 1, 40), Catch::Contains("at least 2 bytes"));
  CHECK_THROWS_WITH(evaluate_bytes(model, data.data(), data.size(), 0), Catch::Contains("seq must be in"));
  Config small = c;
  small.num_tokens = 64;
  Model other(small, test::random_weights(small, 2));
  CHECK_THROWS_WITH(evaluate_bytes(other, data.data(), data.size(), 8), Catch::Contains("byte-level"));
}

TEST_CASE("evaluation names a non-finite loss instead of averaging NaN", "[evaluate]") {
  const Config c = test::byte_config(32, 1, 16, 8, 40);
  Weights w = test::random_weights(c, 12);
  for (auto& x : w.logits_w) x = 3e38f;  // logits overflow to infinity
  Model model(c, std::move(w));
  std::vector<uint8_t> data(50, 'a');
  CHECK_THROWS_WITH(evaluate_bytes(model, data.data(), data.size(), 40),
                    Catch::Contains("the loss of byte 1 is not finite"));
}
