// Checkpoint and resume are exact: N optimiser steps equal k steps, a
// checkpoint, a new trainer resumed from it, and N - k more steps, bit for
// bit (weights, Adam's state and the data sampler are all saved), at 1 and 2
// threads.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include "core/error.h"
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
