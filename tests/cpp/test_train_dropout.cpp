// Dropout in training (ff_dropout, attn_dropout; docs/SPEC.md §5.4):
//  - the masks: drop rate p, mean multiplier 1 (the expected activation is
//    unchanged), the same bits for the same (seed, stream, unit);
//  - the backward with dropout equals the finite-difference gradient of the
//    same masked forward (double), and the float graph follows the double;
//  - a dropped feed-forward unit passes no gradient;
//  - p = 0 is exactly no dropout; the config round-trips.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "model/config.h"
#include "runtime/thread_pool.h"
#include "test_util.h"
#include "train/dropout.h"
#include "train/training_pass.h"
#include "train/params.h"

using namespace lst;

namespace {

Config small_config(bool causal, int w, int s, int r, int depth) {
  Config c;
  c.num_tokens = 11;
  c.dim = 8;
  c.depth = depth;
  c.max_seq_len = 64;
  c.window_size = w;
  c.causal = causal;
  c.dim_head = 4;
  c.heads = 2;
  c.ff_mult = 2;
  c.segment_size = causal ? s : 0;
  c.r = r;
  c.validate();
  return c;
}

std::vector<int32_t> random_tokens(int V, size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int32_t> t(count);
  for (auto& x : t) x = static_cast<int32_t>(rng() % V);
  return t;
}

}  // namespace

TEST_CASE("dropout masks: rate p, mean multiplier 1, reproducible", "[train][dropout]") {
  for (float p : {0.1f, 0.25f, 0.5f, 0.9f}) {
    const train::DropoutRow row(splitmix64_at(42, uint64_t(p * 100)), p);
    const int64_t n = 1 << 20;
    std::vector<float> x(n, 1.0f);
    row.apply(x.data(), 7, n);  // an odd first unit: the unpaired path too
    int64_t dropped = 0;
    double sum = 0;
    for (int64_t j = 0; j < n; ++j) {
      dropped += x[j] == 0.0f;
      sum += x[j];
      REQUIRE(x[j] == row.factor<float>(7 + uint64_t(j)));  // apply == factor, unit by unit
    }
    // Binomial(n, p): 5 standard deviations.
    const double sd = std::sqrt(n * p * (1 - p));
    INFO("p " << p << " dropped " << dropped);
    CHECK(std::fabs(double(dropped) - n * double(p)) < 5 * sd);
    CHECK(std::fabs(sum / n - 1.0) < 5 * sd / n / (1 - p));
  }
  // Every length and parity around the 64-pair blocks of apply(), float and double.
  const train::DropoutRow r(0xC0FFEEull, 0.3f);
  for (uint64_t first : {0ull, 1ull, 126ull, 127ull})
    for (int64_t n = 0; n <= 260; ++n) {
      std::vector<float> xf(size_t(n) + 1, 1.5f);
      std::vector<double> xd(size_t(n) + 1, -2.25);
      r.apply(xf.data(), first, n);
      r.apply(xd.data(), first, n);
      for (int64_t j = 0; j < n; ++j) {
        REQUIRE(xf[j] == 1.5f * r.factor<float>(first + uint64_t(j)));
        REQUIRE(xd[j] == -2.25 * r.factor<double>(first + uint64_t(j)));
      }
      REQUIRE(xf[n] == 1.5f);  // nothing past n
      REQUIRE(xd[n] == -2.25);
    }
  // Different keys give different masks; the same key the same one.
  const train::DropoutRow a(1, 0.5f), b(2, 0.5f), a2(1, 0.5f);
  int same_ab = 0, same_aa = 0;
  for (uint64_t j = 0; j < 4096; ++j) {
    same_ab += a.keep(j) == b.keep(j);
    same_aa += a.keep(j) == a2.keep(j);
  }
  CHECK(same_aa == 4096);
  CHECK(same_ab > 1800);
  CHECK(same_ab < 2300);
  // The keys of different layers, sequences and heads differ.
  const train::DropoutMasks m{0.1f, 0.1f, 99};
  CHECK(m.ff_key(0) != m.ff_key(1));
  CHECK(m.attn_key(0, 0, 1) != m.attn_key(0, 1, 0));
  CHECK(m.attn_key(0, 0, 0) != m.attn_key(1, 0, 0));
  CHECK(m.attn_key(0, 0, 0) != m.ff_key(0));
}

TEST_CASE("training gradient with dropout equals the finite-difference gradient (double)",
          "[train][dropout]") {
  struct Case {
    const char* name;
    bool causal;
    int w, s, r, depth, b, n;
    float ff, attn;
    bool prefix_mask;  // fully masked rows: the uniform-row path under dropout
  };
  const Case cases[] = {
      {"causal_ff_attn", true, 4, 2, 1, 2, 2, 8, 0.3f, 0.25f, false},
      {"causal_attn_pad_r2", true, 4, 4, 2, 1, 1, 11, 0.0f, 0.4f, false},
      {"causal_prefix", true, 4, 2, 1, 1, 2, 10, 0.2f, 0.3f, true},
      {"noncausal", false, 4, 0, 3, 2, 2, 7, 0.3f, 0.3f, false},
      {"noncausal_prefix", false, 4, 0, 2, 1, 2, 10, 0.5f, 0.5f, true},
  };
  for (const auto& k : cases) {
    const Config c = small_config(k.causal, k.w, k.s, k.r, k.depth);
    const Weights w = test::random_weights(c, 5150);
    const auto tokens = random_tokens(c.num_tokens, size_t(k.b) * (k.n + 1), 9);
    std::vector<uint8_t> mask;
    if (k.prefix_mask) {
      mask.assign(size_t(k.b) * (k.n + 1), 1);
      for (int i = 0; i < k.b; ++i)
        for (int t = 0; t < 3 + i; ++t) mask[size_t(i) * (k.n + 1) + t] = 0;
    }
    const uint8_t* mp = mask.empty() ? nullptr : mask.data();
    ThreadPool pool(1);
    train::TrainingPass<double> graph(c, pool);
    graph.set_dropout(train::DropoutMasks{k.ff, k.attn, 1234});
    std::vector<double> params = train::flatten_weights<double>(w, c);
    std::vector<double> grads(params.size(), 0.0);
    const auto P = train::ParamPtrs<double>::bind(params.data(), c);
    const auto G = train::ParamPtrs<double>::bind(grads.data(), c);
    const auto freqs = train::rotary_freqs_of(w);
    const double loss = graph.forward_sequences(P, freqs, tokens.data(), mp, k.b, k.n + 1);
    graph.backward(P, G);
    REQUIRE(std::isfinite(loss));

    // Without dropout the loss differs: the masks are really applied.
    train::TrainingPass<double> plain(c, pool);
    CHECK(plain.forward_sequences(P, freqs, tokens.data(), mp, k.b, k.n + 1) != loss);

    const auto fd = test::finite_difference_check(c, params, grads, [&] {
      return graph.forward_sequences(P, freqs, tokens.data(), mp, k.b, k.n + 1);
    });
    std::printf("dropout fd %-20s loss %.5f  worst err/tol %.3f (%s)\n", k.name, loss,
                fd.worst_ratio, fd.worst_name.c_str());
    INFO(k.name << " worst " << fd.worst_name);
    CHECK(fd.worst_ratio <= 1.0);

    // The float graph draws the same masks.
    train::TrainingPass<float> gf(c, pool);
    gf.set_dropout(train::DropoutMasks{k.ff, k.attn, 1234});
    auto pf = train::flatten_weights<float>(w, c);
    const double loss_f = gf.forward_sequences(train::ParamPtrs<float>::bind(pf.data(), c), freqs,
                                               tokens.data(), mp, k.b, k.n + 1);
    CHECK(std::fabs(loss_f - loss) < 1e-5);
  }
}

TEST_CASE("a dropped feed-forward unit passes no gradient", "[train][dropout]") {
  // One sequence of one input: the last layer's ff1 bias gradient of unit k
  // is d(GELU input)[0, k], zero exactly when the mask drops (row 0, k).
  const Config c = small_config(true, 4, 2, 1, 2);
  const Weights w = test::random_weights(c, 8);
  const int32_t tokens[2] = {3, 5};
  const train::DropoutMasks masks{0.5f, 0.0f, 77};
  ThreadPool pool(1);
  train::TrainingPass<float> graph(c, pool);
  graph.set_dropout(masks);
  auto params = train::flatten_weights<float>(w, c);
  std::vector<float> grads(params.size(), 0.0f);
  const auto P = train::ParamPtrs<float>::bind(params.data(), c);
  const auto G = train::ParamPtrs<float>::bind(grads.data(), c);
  graph.forward_sequences(P, train::rotary_freqs_of(w), tokens, nullptr, 1, 2);
  graph.backward(P, G);
  const train::DropoutRow row(masks.ff_key(c.depth - 1), masks.ff);
  const float* db1 = G.layers.back().ff1_b;
  int dropped = 0;
  for (int k = 0; k < c.ff_hidden(); ++k) {
    INFO("unit " << k);
    if (!row.keep(uint64_t(k))) {
      ++dropped;
      CHECK(db1[k] == 0.0f);
    } else {
      CHECK(db1[k] != 0.0f);
    }
  }
  CHECK(dropped > 0);
  CHECK(dropped < c.ff_hidden());
}

TEST_CASE("dropout p = 0 is exactly no dropout", "[train][dropout]") {
  const Config c = small_config(true, 4, 2, 1, 2);
  const Weights w = test::random_weights(c, 3);
  const auto tokens = random_tokens(c.num_tokens, 2 * 13, 4);
  ThreadPool pool(2);
  auto params = train::flatten_weights<float>(w, c);
  const auto P = train::ParamPtrs<float>::bind(params.data(), c);
  std::vector<float> g1(params.size(), 0.0f), g2(params.size(), 0.0f);
  train::TrainingPass<float> a(c, pool), b(c, pool);
  b.set_dropout(train::DropoutMasks{0.0f, 0.0f, 555});
  const auto freqs = train::rotary_freqs_of(w);
  const double la = a.forward_sequences(P, freqs, tokens.data(), nullptr, 2, 13);
  a.backward(P, train::ParamPtrs<float>::bind(g1.data(), c));
  const double lb = b.forward_sequences(P, freqs, tokens.data(), nullptr, 2, 13);
  b.backward(P, train::ParamPtrs<float>::bind(g2.data(), c));
  CHECK(la == lb);
  CHECK(g1 == g2);
}

TEST_CASE("dropout rates in the config: parsed, validated, written back", "[config][dropout]") {
  const std::string base = R"("num_tokens": 256, "dim": 32, "depth": 1, "max_seq_len": 64)";
  const Config c = Config::from_json("{" + base + R"(, "ff_dropout": 0.1, "attn_dropout": 0.25})");
  CHECK(c.ff_dropout == 0.1);
  CHECK(c.attn_dropout == 0.25);
  const Config back = Config::from_json(c.to_json());
  CHECK(back.ff_dropout == 0.1);
  CHECK(back.attn_dropout == 0.25);
  CHECK(back == c);
  // Not written when off: files of models trained without dropout keep their config.
  const Config plain = Config::from_json("{" + base + "}");
  CHECK(plain.to_json().find("dropout") == std::string::npos);
  CHECK(plain == c);  // inference is the same function
  for (const char* bad : {R"("ff_dropout": 1)", R"("attn_dropout": -0.1)", R"("ff_dropout": "0.1")",
                          R"("attn_dropout": 1.5)"}) {
    INFO(bad);
    CHECK_THROWS_WITH(Config::from_json("{" + base + ", " + bad + "}"),
                      Catch::Contains("dropout") && Catch::Contains("[0, 1)"));
  }
}
