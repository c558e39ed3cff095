// Checkpoint and resume are exact: N optimiser steps equal k steps, a
// checkpoint, a new trainer resumed from it, and N - k more steps, bit for
// bit (weights, Adam's state and the data sampler are all saved), at 1 and 2
// threads.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <filesystem>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include "core/error.h"
#include "io/safetensors.h"
#include "train/checkpoint.h"
#include "runtime/thread_pool.h"
#include "train/trainer.h"
#include "test_util.h"

using namespace lst;
using namespace lst::train;

namespace {
std::vector<float> flat(Weights w, const Config& c) {
  std::vector<float> out;
  for (const auto& t : state_dict(w, c)) out.insert(out.end(), t.data->begin(), t.data->end());
  return out;
}
}  // namespace

TEST_CASE("N steps == k steps + checkpoint + resume + N - k steps, bit for bit", "[train][resume]") {
  const Config c = test::byte_config(32, 2, 16, 8, 32);
  DataSplit data;
  std::mt19937 rng(3);
  for (int i = 0; i < 4000; ++i) data.train.push_back(uint8_t('a' + rng() % 20));
  data.valid.assign(data.train.begin(), data.train.begin() + 400);
  const Weights init = init_weights(c, 1);
  for (int threads : {1, 2}) {
    INFO("threads " << threads);
    const std::string dir = (std::filesystem::temp_directory_path() /
                             ("lst-resume-" + std::to_string(threads) + "-" + std::to_string(::getpid()))).string();
    std::filesystem::create_directories(dir);
    TrainerOptions o;
    o.batch = 2;
    o.accum = 2;
    o.seq = 24;
    o.steps = 6;
    o.adam.lr = 3e-3;
    o.warmup = 2;
    o.cosine = true;
    o.seed = 5;
    o.threads = threads;
    o.out_dir = dir;
    Trainer whole(c, init, o, &data);
    std::vector<double> losses;
    for (int i = 0; i < 6; ++i) losses.push_back(whole.step());

    Trainer first(c, init, o, &data);
    for (int i = 0; i < 3; ++i) CHECK(first.step() == losses[size_t(i)]);
    const std::string path = first.checkpoint();
    Trainer resumed(c, init_weights(c, 99), o, &data);   // other weights: the checkpoint must replace them
    resumed.resume(path);
    CHECK(resumed.steps_done() == 3);
    for (int i = 3; i < 6; ++i) CHECK(resumed.step() == losses[size_t(i)]);
    CHECK(flat(resumed.weights(), c) == flat(whole.weights(), c));
    std::filesystem::remove_all(dir);
  }
}

namespace {
TrainerOptions small_options(int threads) {
  TrainerOptions o;
  o.batch = 2;
  o.accum = 2;
  o.seq = 24;
  o.steps = 6;
  o.adam.lr = 3e-3;
  o.warmup = 2;
  o.cosine = true;
  o.seed = 5;
  o.threads = threads;
  return o;
}

DataSplit letters(int n) {
  DataSplit data;
  std::mt19937 rng(3);
  for (int i = 0; i < n; ++i) data.train.push_back(uint8_t('a' + rng() % 20));
  data.valid.assign(data.train.begin(), data.train.begin() + 400);
  return data;
}

std::vector<uint8_t> state_of(const Trainer& t) {
  return trainer_state_bytes(t.config(), t.weights(), t.optim_state());
}

void restore_from(Trainer& t, const std::vector<uint8_t>& bytes) {
  Config c;
  Weights w;
  OptimState st;
  parse_trainer_state(bytes.data(), bytes.size(), &c, &w, &st);
  t.restore(c, w, &st);
}
}  // namespace

TEST_CASE("the trainer state in memory: k steps + state + resume == N steps, bit for bit", "[train][resume]") {
  // with dropout too: its masks are a function of (seed, step, micro-batch), no state to save
  const double dropout = GENERATE(0.0, 0.1);
  Config c = test::byte_config(32, 2, 16, 8, 32);
  c.ff_dropout = c.attn_dropout = dropout;
  const DataSplit data = letters(4000);
  const Weights init = init_weights(c, 1);
  std::vector<int32_t> sampled_at_1;
  for (int threads : {1, 2}) {
    INFO("threads " << threads << ", dropout " << dropout);
    const TrainerOptions o = small_options(threads);
    Trainer whole(c, init, o, &data);
    std::vector<double> losses;
    for (int i = 0; i < 6; ++i) losses.push_back(whole.step());

    Trainer first(c, init, o, &data);
    for (int i = 0; i < 2; ++i) CHECK(first.step() == losses[size_t(i)]);
    const std::vector<uint8_t> bytes = state_of(first);
    // the state is a model file too: the reference package's tensors and config
    const SafeTensors st = SafeTensors::parse(bytes.data(), bytes.size());
    CHECK(st.metadata().at("kind") == "lst-trainer-state");
    CHECK(load_weights(st, c).token_emb == first.weights().token_emb);

    Trainer resumed(c, init_weights(c, 99), o, &data);
    resumed.step();  // a trainer that already moved: the state must replace all of it
    restore_from(resumed, bytes);
    CHECK(resumed.steps_done() == 2);
    for (int i = 2; i < 6; ++i) CHECK(resumed.step() == losses[size_t(i)]);
    CHECK(flat(resumed.weights(), c) == flat(whole.weights(), c));
    CHECK(state_of(resumed) == state_of(whole));
    // samples (a model on the trainer's own pool) too, and at any thread count
    const auto smp = resumed.sample(12);
    CHECK(smp.continuation == whole.sample(12).continuation);
    if (threads == 1) sampled_at_1 = smp.continuation;
    CHECK(smp.continuation == sampled_at_1);
  }
}

TEST_CASE("a truncated or corrupted trainer state names the problem and changes nothing", "[train][resume]") {
  const Config c = test::byte_config(16, 1, 8, 4, 16);
  const DataSplit data = letters(2000);
  TrainerOptions o = small_options(1);
  o.seq = 16;
  Trainer t(c, init_weights(c, 3), o, &data);
  t.step();
  const std::vector<uint8_t> good = state_of(t);
  t.step();
  const std::vector<uint8_t> before = state_of(t);

  auto expect_error = [&](std::vector<uint8_t> bad, const char* contains) {
    INFO(contains);
    try {
      restore_from(t, bad);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK_THAT(e.what(), Catch::Contains("trainer state") || Catch::Contains("config"));
      CHECK_THAT(e.what(), Catch::Contains(contains));
    }
    CHECK(state_of(t) == before);
  };
  expect_error({}, "not a whole safetensors file");
  expect_error(std::vector<uint8_t>(good.begin(), good.begin() + good.size() / 2), "not a whole safetensors file");
  expect_error(std::vector<uint8_t>(good.begin(), good.end() - 1), "not a whole safetensors file");
  // a model file is not a trainer state
  expect_error(state_dict_file(t.weights(), c).serialize(), "not a trainer state");
  // one bit flipped inside a tensor (Adam's second moment, a weight), which
  // the safetensors parse cannot see: the checksum does
  for (const char* name : {"optim.exp_avg_sq.token_emb.weight", "layers.0.0.fn.to_q.weight", "to_logits.1.bias"}) {
    INFO(name);
    std::vector<uint8_t> bad = good;
    const SafeTensors st = SafeTensors::parse(good.data(), good.size());
    const TensorView& v = st.get(name);
    bad[size_t(v.data - good.data()) + v.nbytes / 2] ^= 0x10;
    expect_error(bad, "is corrupted");
  }
  // the step counter changed in the header
  {
    std::string text(good.begin(), good.end());
    const size_t at = text.find("\"step\":\"1\"");
    REQUIRE(at != std::string::npos);
    text[at + 8] = '3';
    expect_error(std::vector<uint8_t>(text.begin(), text.end()), "is corrupted");
  }
  // another config's state
  {
    const Config other = test::byte_config(16, 2, 8, 4, 16);
    Trainer u(other, init_weights(other, 3), o, &data);
    std::vector<uint8_t> bad = state_of(u);
    expect_error(bad, "differs from");
  }
  // after all that, the good state still resumes and the trainer still trains
  restore_from(t, good);
  CHECK(t.steps_done() == 1);
  CHECK(std::isfinite(t.step()));
}

TEST_CASE("a diverging run stops with a named error and keeps the last good weights", "[train]") {
  const Config c = test::byte_config(16, 1, 8, 4, 16);
  DataSplit data;
  for (int i = 0; i < 2000; ++i) data.train.push_back(uint8_t('a' + i % 17));
  data.valid = data.train;
  TrainerOptions o;
  o.batch = 2;
  o.accum = 1;
  o.seq = 16;
  o.adam.lr = 1e30;   // beyond what TrainerOptions::from_json accepts: set directly to force divergence
  o.clip = 0;
  Trainer t(c, init_weights(c, 3), o, &data);
  bool diverged = false;
  for (int i = 0; i < 5 && !diverged; ++i) {
    const std::vector<float> before = flat(t.weights(), c);
    const int64_t steps = t.steps_done();
    try {
      t.step();
    } catch (const Error& e) {
      diverged = true;
      CHECK_THAT(e.what(), Catch::Contains("training diverged at step") && Catch::Contains("not finite"));
      CHECK(t.steps_done() == steps);
      CHECK(flat(t.weights(), c) == before);
    }
  }
  CHECK(diverged);
}

TEST_CASE("a trainer on the caller's thread pool equals one on its own, bit for bit", "[train]") {
  const Config c = test::byte_config(32, 2, 16, 8, 32);
  const DataSplit data = letters(4000);
  const Weights init = init_weights(c, 1);
  for (int threads : {1, 2}) {
    INFO("threads " << threads);
    const TrainerOptions o = small_options(threads);
    Trainer own(c, init, o, &data);
    ThreadPool pool(threads);
    Trainer shared(c, init, o, &data, &pool);
    for (int i = 0; i < 3; ++i) CHECK(shared.step() == own.step());
    CHECK(flat(shared.weights(), c) == flat(own.weights(), c));
    // the samples run a Model on that same pool
    CHECK(shared.sample(16).continuation == own.sample(16).continuation);
    // a second trainer may share the pool after (not while) the first runs
    Trainer again(c, init, o, &data, &pool);
    CHECK(again.step() != 0.0);
  }
  ThreadPool two(2);
  try {
    Trainer bad(c, init, small_options(1), &data, &two);
    FAIL("a pool of another thread count must be refused");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("the caller's thread pool has 2 threads, the options ask for 1") !=
          std::string::npos);
  }
}
