// Embind front end: the engine for JavaScript (js/ wraps these in the public API).
//
// Kept thin and allocation-explicit:
//  - inputs go in through heap buffers the JS side fills with one
//    TypedArray.set() (HeapBuffer for weight files, inputTokens()/inputMask()
//    for a forward call): no per-element calls, no val-array conversions;
//  - outputs come back as typed_memory_view()s of engine-owned memory, which
//    the JS side copies once (a view dies when the heap grows);
//  - no C++ exception ever crosses into JS: every bound method catches, keeps
//    the message in `error()` and returns false, and js/ throws
//    `new Error(message)`. The module stays usable after any bad input.
//  - no global state: each WasmModel owns its model and buffers.
#include <emscripten/bind.h>

#include "bindings/wasm_generator.h"
#include "bindings/wasm_model.h"
#include "bindings/wasm_batch_trainer.h"
#include "bindings/wasm_trainer.h"

EMSCRIPTEN_BINDINGS(long_short_transformer) {
  using namespace emscripten;
  using lst::wasm::HeapBuffer;
  using lst::wasm::WasmModel;
  class_<HeapBuffer>("HeapBuffer")
      .constructor<>()
      .function("resize", &HeapBuffer::resize)
      .function("view", &HeapBuffer::view)
      .function("size", &HeapBuffer::size)
      .function("release", &HeapBuffer::release)
      .function("error", &HeapBuffer::error);
  class_<WasmModel>("WasmModel")
      .constructor<>()
      .function("loadSafetensors", &WasmModel::loadSafetensors)
      .function("initRandom", &WasmModel::initRandom)
      .function("inputTokens", &WasmModel::inputTokens)
      .function("inputMask", &WasmModel::inputMask)
      .function("forward", &WasmModel::forward)
      .function("logits", &WasmModel::logits)
      .function("evaluateBytes", &WasmModel::evaluateBytes)
      .function("save", &WasmModel::save)
      .function("saved", &WasmModel::saved)
      .function("configJson", &WasmModel::configJson)
      .function("numParameters", &WasmModel::numParameters)
      .function("numThreads", &WasmModel::numThreads)
      .function("backend", &WasmModel::backend)
      .function("weightFormat", &WasmModel::weightFormat)
      .function("release", &WasmModel::release)
      .function("releaseOutputs", &WasmModel::releaseOutputs)
      .function("error", &WasmModel::error);
  using lst::wasm::WasmGenerator;
  class_<WasmGenerator>("WasmGenerator")
      .constructor<lst::wasm::WasmModel&>()
      .function("configure", &WasmGenerator::configure)
      .function("prefill", &WasmGenerator::prefill)
      .function("next", &WasmGenerator::next)
      .function("finishReason", &WasmGenerator::finishReason)
      .function("passesContextLimit", &WasmGenerator::passesContextLimit)
      .function("maxNewTokens", &WasmGenerator::maxNewTokens)
      .function("contextLength", &WasmGenerator::contextLength)
      .function("probeLayer", &WasmGenerator::probeLayer)
      .function("probeHead", &WasmGenerator::probeHead)
      .function("probeValid", &WasmGenerator::probeValid)
      .function("probe", &WasmGenerator::probe)
      .function("probeNumGlobal", &WasmGenerator::probeNumGlobal)
      .function("probeLocalFirstPos", &WasmGenerator::probeLocalFirstPos)
      .function("probeQueryPos", &WasmGenerator::probeQueryPos)
      .function("release", &WasmGenerator::release)
      .function("error", &WasmGenerator::error);
  using lst::wasm::WasmTrainer;
  class_<WasmTrainer>("WasmTrainer")
      .constructor<>()
      .function("create", &WasmTrainer::create)
      .function("optionsJson", &WasmTrainer::optionsJson)
      .function("step", &WasmTrainer::step)
      .function("loss", &WasmTrainer::loss)
      .function("lr", &WasmTrainer::lr)
      .function("gradNorm", &WasmTrainer::gradNorm)
      .function("stepsDone", &WasmTrainer::stepsDone)
      .function("totalSteps", &WasmTrainer::totalSteps)
      .function("tokensPerStep", &WasmTrainer::tokensPerStep)
      .function("validate", &WasmTrainer::validate)
      .function("validLoss", &WasmTrainer::validLoss)
      .function("primeBuffer", &WasmTrainer::primeBuffer)
      .function("sample", &WasmTrainer::sample)
      .function("sampled", &WasmTrainer::sampled)
      .function("sampledPrimeLength", &WasmTrainer::sampledPrimeLength)
      .function("save", &WasmTrainer::save)
      .function("saved", &WasmTrainer::saved)
      .function("releaseSaved", &WasmTrainer::releaseSaved)
      .function("saveState", &WasmTrainer::saveState)
      .function("resume", &WasmTrainer::resume)
      .function("configJson", &WasmTrainer::configJson)
      .function("numParameters", &WasmTrainer::numParameters)
      .function("trainBytes", &WasmTrainer::trainBytes)
      .function("validBytes", &WasmTrainer::validBytes)
      .function("stepMemoryBytes", &WasmTrainer::stepMemoryBytes)
      .function("numThreads", &WasmTrainer::numThreads)
      .function("backend", &WasmTrainer::backend)
      .function("release", &WasmTrainer::release)
      .function("error", &WasmTrainer::error);
  using lst::wasm::WasmBatchTrainer;
  class_<WasmBatchTrainer>("WasmBatchTrainer")
      .constructor<>()
      .function("load", &WasmBatchTrainer::load)
      .function("inputTokens", &WasmBatchTrainer::inputTokens)
      .function("inputMask", &WasmBatchTrainer::inputMask)
      .function("zeroGrad", &WasmBatchTrainer::zeroGrad)
      .function("accumulate", &WasmBatchTrainer::accumulate)
      .function("loss", &WasmBatchTrainer::loss)
      .function("setOptimizer", &WasmBatchTrainer::setOptimizer)
      .function("optimizerStep", &WasmBatchTrainer::optimizerStep)
      .function("gradNorm", &WasmBatchTrainer::gradNorm)
      .function("gradients", &WasmBatchTrainer::gradients)
      .function("parameters", &WasmBatchTrainer::parameters)
      .function("layoutJson", &WasmBatchTrainer::layoutJson)
      .function("configJson", &WasmBatchTrainer::configJson)
      .function("save", &WasmBatchTrainer::save)
      .function("saved", &WasmBatchTrainer::saved)
      .function("release", &WasmBatchTrainer::release)
      .function("error", &WasmBatchTrainer::error);
  function("backendAvailable", &lst::wasm::backendAvailable);
  function("defaultBackend", &lst::wasm::defaultBackend);
  function("maxThreads", &lst::wasm::maxThreads);
}
