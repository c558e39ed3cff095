// Training throughput (tokens/s of optimiser steps: forward, backward,
// clipping, Adam) of lst::train::Trainer, the loop behind `lst train` and
// the JS Trainer, for the bundled model's config (batch 8 x seq 512) and the
// seed's train.py config (batch 4 x seq 1024), with 1 and 2 threads. Random
// bytes as data; one warm-up step, then the median step time.
//   build/bench_train [--quick] [--steps N] [--config bundled|seed] [--threads N] [--dropout P]
// --dropout P sets ff_dropout and attn_dropout (the long-context bundled
// model trains with 0.1): the masks' cost beside the plain step.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bench_timing.h"
#include "kernels/simd.h"
#include "model/weights.h"
#include "train/data.h"
#include "train/training_pass.h"
#include "train/trainer.h"

using namespace lst;

using bench::median;

int main(int argc, char** argv) {
  int steps = 3, only_threads = 0;
  double dropout = 0;
  bool quick = false;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    else if (!std::strcmp(argv[i], "--steps") && i + 1 < argc) steps = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--config") && i + 1 < argc) only = argv[++i];
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) only_threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--dropout") && i + 1 < argc) dropout = std::atof(argv[++i]);
  }
  if (quick) steps = 1;
  struct Named {
    const char* name;
    const char* json;
    int64_t batch, seq;
    int steps_div;  // the reference package's config is ~15x the work per token: fewer steps
  };
  const Named configs[] = {
      {"bundled", R"({"num_tokens":256,"dim":192,"depth":4,"heads":4,"dim_head":48,"max_seq_len":512,"window_size":64,"segment_size":16,"r":1})", 8, 512, 1},
      {"seed", R"({"num_tokens":256,"dim":512,"depth":8,"heads":8,"dim_head":64,"max_seq_len":1024,"window_size":128,"segment_size":16,"r":1})", 4, 1024, 3},
  };
  std::printf("training step (forward + backward + clip + Adam), accum 1, median of the timed steps "
              "after 1 warm-up (native, %s), dropout %g\n", simd::kName, dropout);
  std::printf("%-8s %-12s %7s %8s %12s %12s %10s\n", "config", "batch x seq", "threads", "steps",
              "ms/step", "tokens/s", "memory MB");
  std::mt19937 rng(0);
  train::DataSplit data;
  data.train.resize(1 << 20);
  data.valid.resize(1 << 16);
  for (auto& b : data.train) b = uint8_t(rng());
  for (auto& b : data.valid) b = uint8_t(rng());
  for (const auto& cfg : configs) {
    if (!only.empty() && only != cfg.name) continue;
    Config c = Config::from_json(cfg.json);
    c.ff_dropout = c.attn_dropout = dropout;
    c.validate();
    const Weights w = init_weights(c, 0);
    const int n_steps = std::max(1, quick ? 1 : steps / cfg.steps_div);
    for (int threads : {1, 2}) {
      if (only_threads && threads != only_threads) continue;
      train::TrainerOptions o;
      o.batch = cfg.batch;
      o.accum = 1;
      o.seq = cfg.seq;
      o.steps = n_steps + 1;
      o.threads = threads;
      o.valid_every = o.sample_every = 0;
      train::Trainer t(c, w, o, &data);
      t.step();  // warm-up
      std::vector<double> ms;
      for (int s = 0; s < n_steps; ++s) {
        const auto t0 = bench::Clock::now();
        t.step();
        ms.push_back(bench::ms_since(t0));
      }
      const double med = median(ms);
      const double mem = double(train::training_memory(c, o.batch, o.seq, o.threads).total()) / 1e6;
      char shape[32];
      std::snprintf(shape, sizeof shape, "%lld x %lld", static_cast<long long>(o.batch),
                    static_cast<long long>(o.seq));
      std::printf("%-8s %-12s %7d %8d %12.0f %12.0f %10.0f\n", cfg.name, shape, threads, n_steps, med,
                  double(o.batch * o.seq) / med * 1000.0, mem);
      std::fflush(stdout);
    }
  }
  return 0;
}
