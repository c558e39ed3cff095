#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/error.h"
#include "generation/generate.h"
#include "model/incremental_decoder.h"
#include "model/model.h"
#include "runtime/thread_pool.h"
#include "train/checkpoint.h"
#include "train/training_pass.h"
#include "train/params.h"

namespace lst::train {


std::string decode_bytes(const int32_t* tokens, int64_t n) {
  std::string s;
  for (int64_t i = 0; i < n; ++i) {
    const int b = std::max(32, int(tokens[i]));
    if (b < 128) {
      s += char(b);
    } else {  // chr(b) as Python prints it: U+0080..U+00FF in UTF-8
      s += char(0xC0 | (b >> 6));
      s += char(0x80 | (b & 0x3F));
    }
  }
  return s;
}

Trainer::Trainer(const Config& c, const Weights& init, const TrainerOptions& o,
                 const DataSplit* data, ThreadPool* pool)
    : c_(c), o_(o), data_(data) {
  c_.validate();
  LST_CHECK(o.batch >= 1 && o.accum >= 1 && o.seq >= 1 && o.steps >= 0,
            "trainer: batch, accum, seq must be >= 1 (got ", o.batch, ", ", o.accum, ", ", o.seq, ")");
  LST_CHECK(c.num_tokens >= 256, "trainer: byte-level data needs num_tokens >= 256, got ",
            c.num_tokens);
  LST_CHECK(data && data->train.size() > size_t(o.seq + 1), "trainer: training data has ",
            data ? data->train.size() : 0, " bytes, need more than seq + 1 = ", o.seq + 1);
  if (pool) {
    LST_CHECK(pool->num_threads() == o.threads, "trainer: the caller's thread pool has ",
              pool->num_threads(), " threads, the options ask for ", o.threads);
    pool_ = pool;
  } else {
    own_pool_ = std::make_unique<ThreadPool>(o.threads);
    pool_ = own_pool_.get();
  }
  pass_ = std::make_unique<TrainingPass<float>>(c_, *pool_, o.backend);
  pass_->reserve(o.batch, o.seq);
  params_ = flatten_weights<float>(init, c_);
  grads_.assign(params_.size(), 0.0f);
  param_ptrs_ = ParamPtrs<float>::bind(params_.data(), c_);
  grad_ptrs_ = ParamPtrs<float>::bind(grads_.data(), c_);
  freqs_ = rotary_freqs_of(init);
  adam_ = std::make_unique<Adam>(params_.size(), o.adam);
  sampler_ = std::make_unique<WindowSampler>(&data->train, o.seed * 0x9E3779B97F4A7C15ull + 1);
  batch_.resize(o.batch * (o.seq + 1));
  lr_ = o.adam.lr;
}

Trainer::~Trainer() = default;

void Trainer::resume(const std::string& path) {
  Config c;
  Weights w;
  OptimState st;
  const bool has_optim = load_checkpoint(path, &c, &w, &st);
  restore(c, w, has_optim ? &st : nullptr);
}

void Trainer::restore(const Config& c, const Weights& w, const OptimState* st) {
  LST_CHECK(c == c_, "checkpoint config ", c.to_json(), " differs from the trainer's ", c_.to_json());
  std::vector<float> params = flatten_weights<float>(w, c_);
  ParamPtrs<float> ptrs = ParamPtrs<float>::bind(params.data(), c_);  // stays valid: a move keeps the buffer
  auto freqs = rotary_freqs_of(w);
  if (st) {
    LST_CHECK(st->exp_avg.size() == params.size() && st->exp_avg_sq.size() == params.size(),
              "checkpoint: optimiser state has ", st->exp_avg.size(), " values, expected ", params.size());
    LST_CHECK(st->step >= 0 && st->adam_t >= 0, "checkpoint: negative step counter");
  }
  // Nothing below throws (same-size copies reuse their storage).
  params_ = std::move(params);
  param_ptrs_ = std::move(ptrs);
  freqs_ = std::move(freqs);
  if (st) {
    adam_->exp_avg() = st->exp_avg;
    adam_->exp_avg_sq() = st->exp_avg_sq;
    adam_->set_steps_taken(st->adam_t);
    step_ = st->step;
    sampler_->set_state(st->sampler_state);
  }
}

OptimState Trainer::optim_state() const {
  OptimState st;
  st.step = step_;
  st.adam_t = adam_->steps_taken();
  st.sampler_state = sampler_->state();
  st.exp_avg = adam_->exp_avg();
  st.exp_avg_sq = adam_->exp_avg_sq();
  return st;
}

Weights Trainer::weights() const { return unflatten_weights(params_.data(), c_, &freqs_); }

double Trainer::step() {
  std::fill(grads_.begin(), grads_.end(), 0.0f);
  double loss_sum = 0;
  for (int64_t a = 0; a < o_.accum; ++a) {
    sampler_->sample(batch_.data(), o_.batch, o_.seq + 1);
    // A fresh dropout mask per micro-batch, a function of (seed, step, a): a
    // resumed run draws the same masks as an uninterrupted one.
    pass_->set_dropout(DropoutMasks{float(c_.ff_dropout), float(c_.attn_dropout),
                                     splitmix64_at(splitmix64_mix(o_.seed ^ 0xD80F0D80F0ull),
                                                   uint64_t(step_) * uint64_t(o_.accum) + uint64_t(a))});
    loss_sum += pass_->forward_sequences(param_ptrs_, freqs_, batch_.data(), nullptr, o_.batch, o_.seq + 1);
    pass_->backward(param_ptrs_, grad_ptrs_);  // sums over micro-batches, as loss.backward() does
  }
  grad_norm_ = clip_grad_norm(grads_.data(), grads_.size(), o_.clip);
  const double loss = loss_sum / double(o_.accum);
  // A diverged run stops here, before Adam: the weights stay those of the last good step.
  LST_CHECK(std::isfinite(loss) && std::isfinite(grad_norm_), "training diverged at step ", step_ + 1, ": loss ",
            loss, ", gradient norm ", grad_norm_, " (not finite); the weights are kept as after step ", step_,
            ": lower the learning rate (lr ", o_.adam.lr, ") or clip harder");
  LrSchedule sched{o_.adam.lr, o_.warmup, o_.cosine, o_.steps, o_.min_lr_ratio};
  lr_ = sched.at(step_);
  adam_->step(params_.data(), grads_.data(), lr_);
  ++step_;
  return loss;
}

double Trainer::validate() {
  WindowSampler vs(&data_->valid, 0x5EED0F7A1D ^ o_.seed);  // same windows every time
  pass_->set_dropout(DropoutMasks{});  // evaluation mode
  double sum = 0;
  for (int64_t i = 0; i < o_.valid_batches; ++i) {
    vs.sample(batch_.data(), o_.batch, o_.seq + 1);
    sum += pass_->forward_sequences(param_ptrs_, freqs_, batch_.data(), nullptr, o_.batch, o_.seq + 1);
  }
  return sum / double(std::max<int64_t>(1, o_.valid_batches));
}

Trainer::Sample Trainer::sample(int64_t len, const std::vector<int32_t>* prime) {
  LST_CHECK(len >= 0 && len <= 100000000, "sample length must be an integer in [0, 1e8], got ", len);
  Sample out;
  if (prime) {
    LST_CHECK(!prime->empty(), "the prime is empty (the reference package needs at least one token)");
    out.prime = *prime;
  } else {
    // sample_prime bytes of validation data, different at every step
    const int64_t n = std::min<int64_t>({o_.sample_prime, c_.max_seq_len, int64_t(data_->valid.size()) - 1});
    out.prime.assign(size_t(std::max<int64_t>(1, n)), 32);
    if (n >= 1) {
      WindowSampler ps(&data_->valid, o_.seed + 7919 * uint64_t(step_));
      ps.sample(out.prime.data(), 1, n);
    }
  }
  Model model(c_, weights(), ModelOptions{o_.backend, pool_->num_threads(), pool_});
  IncrementalDecoder dec(model);
  // train.py's sampling: the reference generate() defaults (filter_thres 0.9, temperature 1).
  GenerateOptions g = GenerateOptions::from_json("", c_);
  g.max_new_tokens = int(len);
  g.seed = o_.seed + uint64_t(step_);
  out.continuation = generate(dec, out.prime.data(), int64_t(out.prime.size()), g).tokens;
  return out;
}

std::string Trainer::checkpoint() {
  LST_CHECK(!o_.out_dir.empty(), "trainer: no output directory for checkpoints");
  const std::string path = o_.out_dir + "/model.safetensors";  // the directory must exist
  const OptimState st = optim_state();
  save_checkpoint(path, c_, weights(), &st);
  return path;
}

void Trainer::run(const std::function<bool(const TrainerEvent&)>& on_event) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  const int64_t first = step_;
  const double tokens_per_step = double(o_.batch * o_.accum * o_.seq);
  auto emit = [&](TrainerEvent e) {
    e.step = step_;
    e.steps = o_.steps;
    e.elapsed_s = std::chrono::duration<double>(clock::now() - t0).count();
    const double per_step = (step_ > first) ? e.elapsed_s / double(step_ - first) : 0.0;
    e.tokens_per_s = per_step > 0 ? tokens_per_step / per_step : 0.0;
    e.eta_s = per_step * double(std::max<int64_t>(0, o_.steps - step_));
    e.lr = lr_;
    e.grad_norm = grad_norm_;
    return on_event ? on_event(e) : true;
  };
  while (step_ < o_.steps) {
    TrainerEvent e;
    e.kind = TrainerEvent::kStep;
    e.loss = step();
    if (!emit(e)) return;
    if (o_.valid_every > 0 && (step_ % o_.valid_every == 0 || step_ == o_.steps)) {
      TrainerEvent v;
      v.kind = TrainerEvent::kValid;
      v.loss = validate();
      if (!emit(v)) return;
    }
    const int64_t ck = o_.checkpoint_every > 0 ? o_.checkpoint_every : o_.valid_every;
    if (!o_.out_dir.empty() && ((ck > 0 && step_ % ck == 0) || step_ == o_.steps)) {
      TrainerEvent k;
      k.kind = TrainerEvent::kCheckpoint;
      k.text = checkpoint();
      if (!emit(k)) return;
    }
    if (o_.sample_every > 0 && step_ % o_.sample_every == 0) {
      TrainerEvent sm;
      sm.kind = TrainerEvent::kSample;
      const Sample smp = sample(o_.sample_len);
      sm.text = decode_bytes(smp.prime.data(), int64_t(smp.prime.size())) + "\n" + std::string(40, '*') + "\n" +
                decode_bytes(smp.continuation.data(), int64_t(smp.continuation.size()));
      if (!emit(sm)) return;
    }
  }
}

double evaluate_bytes(const Config& c, const Weights& w, const std::vector<uint8_t>& data,
                      int64_t seq, int64_t batch, int threads, int64_t max_windows) {
  LST_CHECK(data.size() >= 2, "evaluation data needs at least 2 bytes, got ", data.size());
  LST_CHECK(seq >= 1 && batch >= 1, "evaluation: seq and batch must be >= 1");
  ThreadPool pool(threads);
  TrainingPass<float> pass(c, pool);
  std::vector<float> params = flatten_weights<float>(w, c);
  const auto P = ParamPtrs<float>::bind(params.data(), c);
  const auto freqs = rotary_freqs_of(w);
  // windows [i*seq, i*seq + seq + 1): every byte but the first is a target once
  std::vector<int64_t> starts;
  for (int64_t s = 0; s + 1 < int64_t(data.size()); s += seq) starts.push_back(s);
  if (max_windows > 0 && int64_t(starts.size()) > max_windows) starts.resize(max_windows);
  double nats = 0;
  int64_t count = 0;
  std::vector<int32_t> buf;
  for (size_t i = 0; i < starts.size();) {
    const int64_t len = std::min<int64_t>(seq + 1, int64_t(data.size()) - starts[i]);
    // a batch of full windows, or the one shorter last window alone
    size_t j = i;
    buf.clear();
    while (j < starts.size() && int64_t(j - i) < batch &&
           std::min<int64_t>(seq + 1, int64_t(data.size()) - starts[j]) == len) {
      for (int64_t t = 0; t < len; ++t) buf.push_back(data[starts[j] + t]);
      ++j;
    }
    const int64_t b = int64_t(j - i);
    nats += pass.forward_sequences(P, freqs, buf.data(), nullptr, b, len) * double(b * (len - 1));
    count += b * (len - 1);
    i = j;
  }
  return nats / double(count);
}

}  // namespace lst::train
