// The fast forward pass against the naive reference (reference_model.cpp) on
// random configurations: odd heads, dim_head not a power of two (and odd),
// window 1..17, segment 1..9, causal r up to segment-1, non-causal r up to n,
// n from 1 to 4 windows + 1, batch 1..3, random masks.
#include <catch2/catch.hpp>
#include <random>

#include "model/model.h"
#include "reference_model.h"
#include "test_util.h"

using namespace lst;

namespace {

struct Case {
  Config c;
  int64_t b, n;
  std::vector<int32_t> tokens;
  std::vector<uint8_t> mask;
};

Case random_case(std::mt19937_64& rng, int index) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Case k;
  Config& c = k.c;
  c.causal = index % 2 == 0;
  c.num_tokens = pick(2, 40);
  c.heads = pick(1, 3);
  c.dim_head = std::vector<int>{2, 3, 5, 6, 7, 8, 12}[pick(0, 6)];
  c.dim = pick(1, 4) * 4 + pick(0, 1) * 2;  // 4..18 (not tied to inner)
  c.depth = pick(1, 2);
  c.ff_mult = pick(1, 3);
  c.window_size = pick(1, 17);
  k.n = pick(1, 4 * c.window_size + 1);
  if (c.causal) {
    c.segment_size = pick(1, 9);
    c.r = c.segment_size > 1 ? pick(1, c.segment_size - 1) : 1;
    if (c.segment_size == 1) c.segment_size = 2;  // causal needs r < s
  } else {
    c.segment_size = 0;
    c.r = pick(1, static_cast<int>(k.n) + 1);
  }
  c.max_seq_len = 64;
  k.b = pick(1, 3);
  std::uniform_int_distribution<int> tok(0, c.num_tokens - 1);
  for (int64_t i = 0; i < k.b * k.n; ++i) k.tokens.push_back(tok(rng));
  const int mask_kind = pick(0, 3);  // none, holes, left pad, right pad
  if (mask_kind > 0) {
    for (int64_t bi = 0; bi < k.b; ++bi) {
      const int64_t cut = pick(0, static_cast<int>(k.n));
      for (int64_t t = 0; t < k.n; ++t) {
        uint8_t m = 1;
        if (mask_kind == 1) m = pick(0, 3) != 0;
        if (mask_kind == 2) m = t >= cut;
        if (mask_kind == 3) m = t < cut;
        k.mask.push_back(m);
      }
    }
  }
  return k;
}

}  // namespace

TEST_CASE("fast forward matches the naive reference on random configurations", "[model][reference]") {
  std::mt19937_64 rng(20260127);
  int with_r_gt_1_causal = 0;
  for (int i = 0; i < 60; ++i) {
    Case k = random_case(rng, i);
    if (k.c.causal && k.c.r > 1 && k.n > k.c.segment_size) ++with_r_gt_1_causal;
    Weights w = test::random_weights(k.c, 1000 + i);
    std::vector<double> expected = reference::forward(k.c, w, k.tokens, k.mask, k.b, k.n);
    for (GemmBackend be : {GemmBackend::kBuiltin, GemmBackend::kXnnpack}) {
      if (!gemm_backend_available(be)) continue;
      Model m(k.c, w, {be, 1 + i % 2});
      std::vector<float> logits(expected.size());
      m.forward(k.tokens.data(), k.mask.empty() ? nullptr : k.mask.data(), k.b, k.n, logits.data());
      INFO("case " << i << " config " << k.c.to_json() << " b=" << k.b << " n=" << k.n
                   << " masked=" << !k.mask.empty() << " backend " << gemm_backend_name(be));
      CHECK(test::max_abs_diff(logits.data(), expected.data(), expected.size()) <= 1e-4);
    }
  }
  CHECK(with_r_gt_1_causal >= 5);
}

TEST_CASE("rows of a batch are independent (seed bug B1 avoided)", "[model]") {
  Config c;
  c.num_tokens = 20; c.dim = 16; c.depth = 1; c.heads = 3; c.dim_head = 5;
  c.window_size = 4; c.causal = false; c.segment_size = 0; c.r = 3; c.max_seq_len = 32;
  Model m(c, test::random_weights(c, 7));
  std::vector<int32_t> tokens = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
  std::vector<uint8_t> mask = {1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1};
  std::vector<float> both(2 * 7 * 20), one(7 * 20);
  m.forward(tokens.data(), mask.data(), 2, 7, both.data());
  m.forward(tokens.data() + 7, mask.data() + 7, 1, 7, one.data());
  CHECK(test::max_abs_diff(both.data() + 7 * 20, one.data(), one.size()) == 0.0);
}

TEST_CASE("bad tokens give errors naming the entry and leave the model usable", "[model]") {
  Config c;
  c.num_tokens = 10; c.dim = 8; c.depth = 1; c.heads = 2; c.dim_head = 4;
  c.window_size = 4; c.segment_size = 2; c.r = 1; c.max_seq_len = 16;
  Model m(c, test::random_weights(c, 3));
  std::vector<int32_t> bad = {1, 2, 10};
  std::vector<float> out(3 * 10);
  REQUIRE_THROWS_WITH(m.forward(bad.data(), nullptr, 1, 3, out.data()),
                      Catch::Contains("token id 10 at [0, 2] is out of range [0, 10)"));
  bad[2] = -1;
  REQUIRE_THROWS_WITH(m.forward(bad.data(), nullptr, 1, 3, out.data()), Catch::Contains("token id -1"));
  REQUIRE_THROWS_WITH(m.forward(bad.data(), nullptr, 0, 3, out.data()), Catch::Contains("b, n >= 1"));
  bad[2] = 3;
  m.forward(bad.data(), nullptr, 1, 3, out.data());
  for (float v : out) CHECK(std::isfinite(v));
}
