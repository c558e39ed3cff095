// long-short-transformer: the Long-Short Transformer (Transformer-LS) in
// WebAssembly for Node and browsers.
export { LongShortTransformer } from './long-short-transformer.js';
export { SafetensorsFile, readSafetensorsHeader } from './safetensors.js';
export { CONFIG_KEYS } from './config.js';
export { LongShortTransformerWorker } from './worker/long-short-transformer-worker.js';
export { bundledModelUrl } from './bundled-model.js';
export { clearModelCache, MODEL_CACHE_NAME } from './runtime/model-cache.js';
export { Trainer, SEED_TRAIN_CONFIG } from './training/trainer.js';
export { TrainerWorker } from './worker/trainer-worker.js';
