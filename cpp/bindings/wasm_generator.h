// One generation over a WasmModel, one token per call (synchronous, so
// streaming, abort and Worker proxying need no Asyncify). Marshalling only:
// the options are parsed, and every rule (sampling, stop, finish, the
// max_seq_len warning) decided, by the generation layer
// (generation/generate_options.h, generation/generate.h). Errors are values
// (error()), as in wasm_model.h.
#pragma once
#include <emscripten/val.h>

#include <memory>
#include <string>

#include "bindings/wasm_model.h"
#include "generation/generate.h"

namespace lst::wasm {

class WasmGenerator {
 public:
  // `model` must outlive the generator (the JS wrapper guarantees it).
  explicit WasmGenerator(WasmModel& model) : owner_(model) {}

  // The user's options object as JSON (GenerateOptions::from_json); `stream`
  // separates the rows of a batch.
  bool configure(const std::string& options_json, double stream);
  // Starts from the model's inputTokens() (n ids).
  bool prefill(int n);
  // The next token (-1 on error); finishReason() and passesContextLimit() describe it.
  int next();
  std::string finishReason() const { return finish_reason_name(last_.finish); }
  bool passesContextLimit() const { return last_.passes_context_limit; }
  int maxNewTokens() const { return options_.max_new_tokens; }

  int contextLength() const { return decoder_ ? int(decoder_->context_length()) : 0; }
  // Attention weights of the latest incremental step for the probed
  // (layer, head): [global tokens | 2w local slots].
  int probeLayer() const { return options_.probe_layer; }
  int probeHead() const { return options_.probe_head; }
  bool probeValid() const { return decoder_ && decoder_->attention_probe().valid; }
  emscripten::val probe() const;
  int probeNumGlobal() const { return probeValid() ? int(decoder_->attention_probe().num_global) : 0; }
  int probeLocalFirstPos() const { return probeValid() ? int(decoder_->attention_probe().local_first_pos) : 0; }
  int probeQueryPos() const { return probeValid() ? int(decoder_->attention_probe().query_pos) : 0; }

  void release();
  std::string error() const { return error_; }

 private:
  WasmModel& owner_;
  GenerateOptions options_;
  std::unique_ptr<IncrementalDecoder> decoder_;
  std::unique_ptr<GenerationSession> session_;
  GenerationSession::Step last_;
  std::string error_;
};

}  // namespace lst::wasm
