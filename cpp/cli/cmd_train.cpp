// lst train / eval-text: the reference package's train.py (docs/SPEC.md §5) on any byte file, and
// the held-out loss of a byte-level model.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/model_file.h"
#include "model/evaluate.h"
#include "model/model.h"
#include "runtime/thread_pool.h"
#include "cli/commands.h"
#include "core/error.h"
#include "train/checkpoint.h"
#include "train/data.h"
#include "train/training_pass.h"
#include "train/trainer.h"

namespace lst::cli {
namespace {

const char* kTrainUsage =
    "usage: lst train --data FILE [options]\n"
    "  --data FILE            training bytes (raw, or .gz)\n"
    "  --enwik8               the reference package's split: first 90e6 bytes train, next 5e6 validation\n"
    "  --valid-fraction F     else hold out the last F of the file (default 0.1)\n"
    "  --config JSON|FILE     model kwargs (default: the reference package's train.py model)\n"
    "  --init MODEL           start from these weights (fine-tuning)\n"
    "  --resume CKPT          continue a run (weights, Adam state, step, data sampler)\n"
    "  --ff-dropout P --attn-dropout P   dropout in training (the reference package's ff_dropout,\n"
    "                         attn_dropout; overrides the config's, also with --init/--resume)\n"
    "  --max-seq-len N        the model's context (rotary: the weights do not change), e.g. to\n"
    "                         train a model from --init on longer windows\n"
    "  --steps N --batch B --accum A --seq S --lr LR --clip C --weight-decay WD (AdamW)\n"
    "                         (defaults: the reference package's train.py, batch 4, accum 4, seq 1024, lr 3e-4, clip 0.5)\n"
    "  --warmup N --cosine --min-lr-ratio R     learning-rate schedule\n"
    "  --valid-every N --valid-batches N --sample-every N --sample-len N --checkpoint-every N\n"
    "  --out DIR              checkpoints (model.safetensors + .optim sidecar) and log.csv\n"
    "  --threads N --seed N --backend builtin|xnnpack\n";

std::string hms(double s) {
  if (!std::isfinite(s) || s < 0) s = 0;
  const long t = long(s + 0.5);
  char b[32];
  std::snprintf(b, sizeof b, "%02ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  return b;
}

train::DataSplit load_split(const Args& a) {
  auto bytes = train::load_bytes(a.require("data"));
  if (a.has("enwik8")) return train::split_enwik8(std::move(bytes));
  return train::split_fraction(std::move(bytes), a.get_double("valid-fraction", 0.1));
}

Config reference_train_config() {
  // train.py: LongShortTransformer(num_tokens=256, dim=512, depth=8, heads=8,
  //   max_seq_len=1024, causal=True, window_size=128)
  return Config::from_json(
      R"({"num_tokens":256,"dim":512,"depth":8,"heads":8,"max_seq_len":1024,"causal":true,"window_size":128})");
}

}  // namespace

int cmd_train(int argc, char** argv) {
  Args a(argc, argv, 2, {"enwik8", "cosine"});
  a.check_known({"data", "enwik8", "valid-fraction", "config", "init", "resume", "steps",
                 "batch", "accum", "seq", "lr", "clip", "weight-decay", "warmup", "cosine",
                 "min-lr-ratio", "valid-every", "valid-batches", "sample-every", "sample-len",
                 "sample-prime", "checkpoint-every", "out", "threads", "seed", "backend",
                 "ff-dropout", "attn-dropout", "max-seq-len"});
  LST_CHECK(a.has("data"), kTrainUsage);
  // Model: resumed checkpoint, else --init weights, else a fresh init of
  // --config, or the reference train.py's model (whose optimiser settings are the defaults).
  Config c;
  Weights w;
  if (a.has("resume")) {
    train::load_checkpoint(a.get("resume"), &c, &w, nullptr);
  } else if (a.has("init")) {
    train::load_checkpoint(a.get("init"), &c, &w, nullptr);
  } else {
    const std::string cfg = read_config_option(a);
    c = cfg.empty() ? reference_train_config() : Config::from_json(cfg);
  }
  if (a.has("ff-dropout")) c.ff_dropout = a.get_double("ff-dropout", 0);
  if (a.has("attn-dropout")) c.attn_dropout = a.get_double("attn-dropout", 0);
  if (a.has("max-seq-len")) c.max_seq_len = int(a.get_int("max-seq-len", c.max_seq_len));
  c.validate();
  // The same options object the JS Trainer takes (train/trainer_options.h
  // parses and defaults it), built from the flags.
  nlohmann::json j = options_from_flags(
      a, {{"steps", "steps"}, {"batch", "batch"}, {"accum", "accum"}, {"seq", "seq"}, {"lr", "lr"}, {"clip", "clip"},
          {"weight-decay", "weight_decay"}, {"warmup", "warmup"}, {"min-lr-ratio", "min_lr_ratio"},
          {"valid-every", "valid_every"}, {"valid-batches", "valid_batches"}, {"sample-every", "sample_every"},
          {"sample-len", "sample_len"}, {"sample-prime", "sample_prime"}, {"checkpoint-every", "checkpoint_every"},
          {"threads", "threads"}, {"seed", "seed"}});
  if (a.has("cosine")) j["cosine"] = true;
  if (a.has("backend")) j["backend"] = a.get("backend");
  train::TrainerOptions o = train::TrainerOptions::from_json(j.dump());
  o.resolve_for(c);
  o.out_dir = a.get("out", "");
  if (!a.has("resume") && !a.has("init")) w = init_weights(c, o.seed);
  const train::DataSplit data = load_split(a);
  std::fprintf(stderr, "lst train: %zu train / %zu validation bytes\n", data.train.size(),
               data.valid.size());
  // One set of threads for the whole command, handed down to the trainer
  // (and through it to the model that writes samples).
  ThreadPool pool(o.threads);
  train::Trainer trainer(c, w, o, &data, &pool);
  if (a.has("resume")) trainer.resume(a.get("resume"));
  const auto mem = train::training_memory(c, o.batch, o.seq, o.threads);
  std::fprintf(stderr,
               "lst train: %s\n  %lld parameters; step memory %.1f MB (params %.1f, grads %.1f, "
               "adam %.1f, activations %.1f for %lld x %lld)\n  batch %lld x accum %lld x seq "
               "%lld, lr %g, clip %g, %d thread%s, from step %lld to %lld\n",
               c.to_json().c_str(), static_cast<long long>(count_parameters(c)), mem.total() / 1e6,
               mem.params / 1e6, mem.grads / 1e6, mem.optimizer / 1e6, mem.activations / 1e6,
               static_cast<long long>(o.batch), static_cast<long long>(o.seq),
               static_cast<long long>(o.batch), static_cast<long long>(o.accum),
               static_cast<long long>(o.seq), o.adam.lr, o.clip, o.threads,
               o.threads == 1 ? "" : "s", static_cast<long long>(trainer.steps_done()),
               static_cast<long long>(o.steps));

  std::ofstream log;
  if (!o.out_dir.empty()) {
    std::filesystem::create_directories(o.out_dir);
    const auto path = std::filesystem::path(o.out_dir) / "log.csv";
    const bool fresh = !std::filesystem::exists(path) || !a.has("resume");
    log.open(path, fresh ? std::ios::trunc : std::ios::app);
    if (fresh) log << "step,kind,loss_nats,bits_per_byte,lr,grad_norm,elapsed_s,tokens_per_s\n";
  }
  const bool tty = isatty(fileno(stderr));
  const double ln2 = std::log(2.0);
  double elapsed_offset = 0;
  trainer.run([&](const train::TrainerEvent& e) {
    const double el = elapsed_offset + e.elapsed_s;
    switch (e.kind) {
      case train::TrainerEvent::kStep: {
        char line[256];
        std::snprintf(line, sizeof line,
                      "step %lld/%lld  loss %.4f  lr %.2e  |g| %.3f  %.0f tok/s  %s  ETA %s",
                      static_cast<long long>(e.step), static_cast<long long>(e.steps), e.loss,
                      e.lr, e.grad_norm, e.tokens_per_s, hms(el).c_str(), hms(e.eta_s).c_str());
        if (tty)
          std::fprintf(stderr, "\r%s\033[K", line);
        else if (e.step % 10 == 0 || e.step == e.steps)
          std::fprintf(stderr, "%s\n", line);
        if (log.is_open())
          log << e.step << ",train," << e.loss << "," << e.loss / ln2 << "," << e.lr << ","
              << e.grad_norm << "," << el << "," << e.tokens_per_s << "\n";
        break;
      }
      case train::TrainerEvent::kValid:
        std::fprintf(stderr, "%svalid step %lld: %.4f nats/byte, %.4f bits/byte\n", tty ? "\r\033[K" : "",
                     static_cast<long long>(e.step), e.loss, e.loss / ln2);
        if (log.is_open()) {
          log << e.step << ",valid," << e.loss << "," << e.loss / ln2 << "," << e.lr << ","
              << e.grad_norm << "," << el << "," << e.tokens_per_s << "\n";
          log.flush();
        }
        break;
      case train::TrainerEvent::kSample:
        std::fprintf(stderr, "%s", tty ? "\r\033[K" : "");
        std::printf("\n--- sample at step %lld ---\n%s\n\n", static_cast<long long>(e.step),
                    e.text.c_str());
        std::fflush(stdout);
        break;
      case train::TrainerEvent::kCheckpoint:
        // The log on disk then holds every step the checkpoint holds: a run
        // stopped (killed) and resumed from it loses no line of its curve.
        if (log.is_open()) log.flush();
        if (!tty) std::fprintf(stderr, "checkpoint %s\n", e.text.c_str());
        break;
    }
    return true;
  });
  if (tty) std::fprintf(stderr, "\n");
  return 0;
}

int cmd_eval_text(int argc, char** argv) {
  Args a(argc, argv, 2, {"enwik8", "all"});
  a.check_known({"data", "enwik8", "valid-fraction", "all", "seq", "threads", "max-windows", "weights"});
  LST_CHECK(a.positional().size() == 1 && a.has("data"),
            "usage: lst eval-text MODEL.safetensors --data FILE [--enwik8 | --valid-fraction F "
            "(default 0.1) | --all] [--seq N (default max_seq_len)] [--threads N] "
            "[--max-windows N] [--weights f32|f16|int8|stored]");
  // The matrices as stored (int8 files run int8), or converted by --weights.
  ModelOptions mo{default_gemm_backend(), a.get_int("threads", 1)};
  mo.weight_format = parse_weights_option(a.get("weights"));
  Model model = load_model_file(a.positional()[0], "", mo);
  const Config& c = model.config();
  std::vector<uint8_t> held_out;
  std::string which;
  if (a.has("all")) {
    held_out = train::load_bytes(a.get("data"));
    which = "the whole file";
  } else if (a.has("enwik8")) {
    held_out = train::split_enwik8(train::load_bytes(a.get("data"))).valid;
    which = "enwik8 validation bytes [90e6, 95e6)";
  } else {
    const double f = a.get_double("valid-fraction", 0.1);
    held_out = train::split_fraction(train::load_bytes(a.get("data")), f).valid;
    which = "the last " + std::to_string(f) + " of the file";
  }
  const int64_t seq = a.get_int("seq", c.max_seq_len);
  const auto t0 = std::chrono::steady_clock::now();
  // The model's own forward pass (model/evaluate.h), as the JS API's evaluate().
  const double nats = evaluate_bytes(model, held_out.data(), held_out.size(), seq, a.get_int("max-windows", 0)).nats_per_byte;
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("held-out loss over %zu bytes (%s), windows of %lld, %s weights: %.4f nats/byte, %.4f bits/byte\n",
              held_out.size(), which.c_str(), static_cast<long long>(seq),
              model.weight_format().c_str(), nats, nats / std::log(2.0));
  std::fprintf(stderr, "lst eval-text: %.1f s\n", s);
  return 0;
}

}  // namespace lst::cli
