// One generation session over a WasmModel: the JS token loop calls step()
// and sample() once per token (synchronous, so streaming, abort and Worker
// proxying need no Asyncify). Same conventions as wasm_model.h: errors are
// values (error()), outputs are typed_memory_views valid until the next call.
#pragma once
#include <emscripten/val.h>

#include <memory>
#include <string>

#include "bindings/wasm_model.h"
#include "generation/sampler.h"
#include "model/decoder.h"

namespace lst::wasm {

class WasmGenerator {
 public:
  // `model` must outlive the generator (the JS wrapper guarantees it).
  explicit WasmGenerator(WasmModel& model) : owner_(model) {}

  // Context policy past max_seq_len: exact (the seed) or re-encode every k.
  bool configure(bool exact, int reencode_every, int probe_layer, int probe_head) {
    return guarded(&error_, [&] {
      DecoderOptions o;
      o.mode = exact ? ContextMode::kExact : ContextMode::kReencode;
      o.reencode_every = reencode_every;
      decoder_ = std::make_unique<Decoder>(owner_.model(), o);
      if (probe_layer >= 0) decoder_->set_attention_probe(probe_layer, probe_head);
    });
  }

  // Sampling options; seed is an integer below 2^53, stream separates the
  // rows of a batch.
  bool setSampling(bool do_sample, double temperature, double filter_thres, int top_k,
                   double top_p, double seed, double stream) {
    return guarded(&error_, [&] {
      LST_CHECK(seed >= 0 && seed <= 9007199254740991.0 && seed == double(uint64_t(seed)),
                "seed must be an integer in [0, 2^53), got ", seed);
      SamplingOptions s;
      s.do_sample = do_sample;
      s.temperature = temperature;
      s.filter_thres = filter_thres;
      s.top_k = top_k;
      s.top_p = top_p;
      sampler_ = std::make_unique<Sampler>(s, uint64_t(seed), uint64_t(stream));
    });
  }

  // Prefill from the model's inputTokens() (n ids); logits() then holds the
  // next token's logits.
  bool prefill(int n) {
    return guarded(&error_, [&] {
      LST_CHECK(decoder_ != nullptr, "generator not configured");
      logits_ = decoder_->prefill(owner_.tokensData(n), n);
    });
  }
  bool step(int token) {
    return guarded(&error_, [&] {
      LST_CHECK(decoder_ != nullptr && logits_ != nullptr, "call prefill() before step()");
      logits_ = decoder_->step(token);
    });
  }
  // The next token from logits() with the sampling options; -1 on error.
  int sample(double index) {
    int token = -1;
    guarded(&error_, [&] {
      LST_CHECK(sampler_ != nullptr && logits_ != nullptr, "call setSampling() and prefill() first");
      token = sampler_->sample(logits_, decoder_->vocab_size(), uint64_t(index));
    });
    return token;
  }

  emscripten::val logits() {
    const size_t n = logits_ ? size_t(decoder_->vocab_size()) : 0;
    return emscripten::val(emscripten::typed_memory_view(n, logits_));
  }
  int contextLength() { return decoder_ ? int(decoder_->context_length()) : 0; }
  bool lastStepIncremental() { return decoder_ && decoder_->last_step_was_incremental(); }

  // Attention weights of the latest incremental step for the probed
  // (layer, head): [global tokens | 2w local slots].
  bool probeValid() { return decoder_ && decoder_->attention_probe().valid; }
  emscripten::val probe() {
    static const float kEmpty = 0.0f;
    if (!probeValid()) return emscripten::val(emscripten::typed_memory_view(0, &kEmpty));
    const auto& p = decoder_->attention_probe().probs;
    return emscripten::val(emscripten::typed_memory_view(p.size(), p.data()));
  }
  int probeNumGlobal() { return probeValid() ? int(decoder_->attention_probe().num_global) : 0; }
  int probeLocalFirstPos() { return probeValid() ? int(decoder_->attention_probe().local_first_pos) : 0; }
  int probeQueryPos() { return probeValid() ? int(decoder_->attention_probe().query_pos) : 0; }

  void release() {
    decoder_.reset();
    sampler_.reset();
    logits_ = nullptr;
  }
  std::string error() const { return error_; }

 private:
  WasmModel& owner_;
  std::unique_ptr<Decoder> decoder_;
  std::unique_ptr<Sampler> sampler_;
  const float* logits_ = nullptr;
  std::string error_;
};

}  // namespace lst::wasm
