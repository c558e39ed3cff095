#include "bindings/wasm_generator.h"

namespace lst::wasm {

bool WasmGenerator::configure(const std::string& options_json, double stream) {
  return guarded(&error_, [&] {
    release();
    options_ = GenerateOptions::from_json(options_json, owner_.model().config());
    decoder_ = make_decoder(owner_.model(), options_);
    session_ = std::make_unique<GenerationSession>(*decoder_, options_, uint64_t(stream));
  });
}

bool WasmGenerator::prefill(int n) {
  return guarded(&error_, [&] {
    LST_CHECK(session_ != nullptr, "generator not configured");
    last_ = {};
    session_->prefill(owner_.tokensData(n), n);
  });
}

int WasmGenerator::next() {
  int token = -1;
  guarded(&error_, [&] {
    LST_CHECK(session_ != nullptr, "generator not configured");
    last_ = session_->next();
    token = last_.token;
  });
  return token;
}

emscripten::val WasmGenerator::probe() const {
  static const float kEmpty = 0.0f;
  if (!probeValid()) return emscripten::val(emscripten::typed_memory_view(0, &kEmpty));
  const auto& p = decoder_->attention_probe().probs;
  return emscripten::val(emscripten::typed_memory_view(p.size(), p.data()));
}

void WasmGenerator::release() {
  session_.reset();
  decoder_.reset();
  last_ = {};
}

}  // namespace lst::wasm
