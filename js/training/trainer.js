// Training from JavaScript: the reference package's train.py loop (cpp/train/, the same
// code as `lst train`) through the wasm. One optimiser step per synchronous
// wasm call; run() yields to the event loop between steps (like the
// generation token loop), so progress callbacks, AbortSignals and UI repaints
// get their turn.
import { configToJson, describe } from '../config.js';
import { LongShortTransformer } from '../long-short-transformer.js';
import { readSource } from '../runtime/read-source.js';
import { readSafetensorsHeader } from '../safetensors.js';
import { finalizer, releaseState } from '../runtime/native-handle.js';
import { yieldToEventLoop } from '../generation/yield.js';
import { computeGradients, trainSteps } from './gradients.js';
import { ENGINE_OPTIONS, checkOptions, heapBuffer, numberOption, readInit, startEngine, terminateWorkers, wasmCall } from './engine.js';
import { engineJson } from '../runtime/engine-json.js';

// The engine's trainer options (cpp/train/trainer_options.h parses, defaults
// and checks them): passed through as the user wrote them.
const TRAINER_KEYS = ['batch', 'accum', 'seq', 'steps', 'lr', 'betas', 'eps', 'weight_decay', 'clip', 'warmup', 'cosine',
  'min_lr_ratio', 'valid_every', 'valid_batches', 'sample_every', 'sample_len', 'sample_prime', 'seed'];
const CREATE_OPTIONS = [...ENGINE_OPTIONS, 'config', 'init', 'data', 'valid_fraction', 'preset', ...TRAINER_KEYS];
const RUN_OPTIONS = ['steps', 'valid_every', 'sample_every', 'sample_len', 'progress_callback', 'signal'];

/** The reference package's train.py model: LongShortTransformer(num_tokens=256, dim=512, depth=8, heads=8, max_seq_len=1024, causal=True, window_size=128). */
export const SEED_TRAIN_CONFIG = Object.freeze({
  num_tokens: 256, dim: 512, depth: 8, heads: 8, max_seq_len: 1024, causal: true, window_size: 128,
});

const LN2 = Math.log(2);
const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());
const decoder = new TextDecoder('utf-8');

/** Inflates gzip bytes (magic 1f 8b), as `lst train` reads enwik8.gz. */
async function gunzipIfNeeded(bytes, fn) {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  if (typeof DecompressionStream !== 'function') {
    throw new Error(`${fn}: data is gzip-compressed and this JavaScript engine has no DecompressionStream: decompress it first`);
  }
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Error(`${fn}: data: corrupt gzip data (${e.message})`);
  }
}

/** Training bytes from `data`: bytes, text (a string), or a URL / file: URL / { path } (read; gzip inflated). */
async function readData(data, fn) {
  const bytes = await readDataRaw(data, fn);
  return typeof data === 'string' ? bytes : gunzipIfNeeded(bytes, fn);
}

async function readDataRaw(data, fn) {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  if (data instanceof URL) {
    try {
      return await readSource(data);
    } catch (e) {
      throw new Error(`${fn}: data: ${e.message}`);
    }
  }
  if (data && typeof data === 'object' && !ArrayBuffer.isView(data) && typeof data.path === 'string') {
    try {
      return await readSource(data.path);
    } catch (e) {
      throw new Error(`${fn}: data: ${e.message}`);
    }
  }
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return readSource(data);
  throw new TypeError(`${fn}: data must be a Uint8Array, a string of text, a URL or { path } (Node), got ${describe(data)}`);
}

/**
 * Trains a byte-level Long-Short Transformer with the reference package's train.py loop
 * (random windows of seq + 1 bytes, gradient accumulation, global-norm
 * clipping, Adam/AdamW, optional warmup and cosine decay) in WebAssembly.
 * Get one with {@link Trainer.create}; free it with {@link Trainer#dispose}.
 */
export class Trainer {
  /** @private */
  constructor(token, Module, native, { variant, simd }, options) {
    if (token !== CONSTRUCT) throw new Error('use Trainer.create()');
    /** @private */
    this._state = { Module, native, released: false };
    /** @private */
    this._config = Object.freeze(JSON.parse(native.configJson()));
    /** @private */
    this._options = Object.freeze(options);
    /** @private */
    this._runtime = Object.freeze({ variant, simd, threads: native.numThreads(), backend: native.backend() });
    /** @private */
    this._crashed = null;
    /** @private */
    this._running = false;
    /** @private */
    this._last = { step: 0, loss: NaN, lr: 0, grad_norm: 0 };
    finalizer?.register(this, this._state, this._state);
  }

  /**
   * A trainer over `data` (the last `valid_fraction` held out), starting from
   * `init` weights or a seeded default init of `config`.
   * @param {import('../index.js').TrainerOptions} options
   * @returns {Promise<Trainer>}
   */
  static async create(options) {
    const fn = 'Trainer.create';
    checkOptions(options, CREATE_OPTIONS, fn);
    if (options.preset !== undefined && options.preset !== 'seed') {
      throw new Error(`${fn}: unknown preset ${describe(options.preset)} (known: 'seed')`);
    }
    if (options.data === undefined || options.data === null) throw new Error(`${fn}: data is required (bytes, text or a URL)`);
    const trainerOptions = {};
    for (const key of TRAINER_KEYS) if (options[key] !== undefined) trainerOptions[key] = options[key];
    const validFraction = options.valid_fraction ?? 0.1;
    if (typeof validFraction !== 'number' || !(validFraction > 0 && validFraction < 1)) {
      throw new Error(`${fn}: valid_fraction must be a number in (0, 1), got ${describe(options.valid_fraction)}`);
    }

    // The model: init weights (config from the file unless given), else a
    // seeded init of config (the reference package's train.py model with preset 'seed').
    let config = options.config;
    if (config === undefined && (options.init === undefined || options.init === null)) {
      if (options.preset !== 'seed') throw new Error(`${fn}: pass config (the reference package's kwargs) or init (weights), or preset: 'seed'`);
      config = SEED_TRAIN_CONFIG;
    }
    const configJson = config === undefined || config === null ? '' : configToJson(config);
    const [initBytes, dataBytes] = await Promise.all([
      options.init === undefined || options.init === null ? new Uint8Array(0) : readInit(options.init, fn),
      readData(options.data, fn),
    ]);
    const { Module, variant, simd, threads } = await startEngine(options);
    const native = new Module.WasmTrainer();
    let init = null;
    let data = null;
    try {
      init = heapBuffer(Module, initBytes, 'weight file');
      data = heapBuffer(Module, dataBytes, 'training data');
      const json = engineJson({ ...trainerOptions, threads, backend: options.backend ?? '' }, fn);
      if (!native.create(configJson, init, data, validFraction, json)) throw new Error(`${fn}: ${native.error()}`);
    } catch (e) {
      try { native.release(); native.delete(); } catch { /* crashed */ }
      terminateWorkers(Module);
      throw e;
    } finally {
      for (const b of [init, data]) {
        b?.release();
        b?.delete();
      }
    }
    const engine = {};
    for (const key of ENGINE_OPTIONS) if (options[key] !== undefined) engine[key] = options[key];
    const resolved = JSON.parse(native.optionsJson());
    return new Trainer(CONSTRUCT, Module, native, { variant, simd }, { ...resolved, valid_fraction: validFraction, engine });
  }

  /**
   * The reference package's AutoregressiveWrapper loss on `tokens` (b, n+1) and every
   * parameter's gradient, in state_dict order (`gradients.tensors` names
   * and shapes them; `gradients.get(name)` is one tensor).
   * @param {any} init safetensors bytes/path/URL or a LongShortTransformer; null: a seeded init of options.config
   * @param {import('../index.js').TokensInput} tokens
   * @param {import('../index.js').GradientsOptions} [options]
   * @returns {Promise<import('../index.js').GradientsResult>}
   */
  static gradients(init, tokens, options) {
    return computeGradients(init, tokens, options);
  }

  /**
   * The reference package's train.py loop on given micro-batches `{ data, dims: [steps,
   * accum, b, n+1] }`: losses before each update, the final weights.
   * @param {any} init
   * @param {{ data: ArrayLike<number|bigint>, dims: number[] }} batches
   * @param {import('../index.js').TrainStepsOptions} [options]
   * @returns {Promise<import('../index.js').TrainStepsResult>}
   */
  static trainSteps(init, batches, options) {
    return trainSteps(init, batches, options);
  }

  /** The reference package's kwargs of the model being trained. */
  get config() {
    this._check();
    return this._config;
  }

  /** The resolved training options (batch, accum, seq, steps, lr, ...). */
  get options() {
    this._check();
    return this._options;
  }

  /** Which build runs it: `{ variant, simd, threads, backend }`. */
  get runtime() {
    this._check();
    return this._runtime;
  }

  /** Optimiser steps done. */
  get stepsDone() {
    this._check();
    return this._state.native.stepsDone();
  }

  /** Bytes of training and validation data, and of one step's memory. */
  get sizes() {
    this._check();
    const n = this._state.native;
    return { train_bytes: n.trainBytes(), valid_bytes: n.validBytes(), step_memory_bytes: n.stepMemoryBytes(), parameters: n.numParameters() };
  }

  /** True after {@link Trainer#dispose}. */
  get disposed() {
    return this._state.released;
  }

  /**
   * One optimiser step over accum random windows (synchronous).
   * @returns {{ step: number, loss: number, lr: number, grad_norm: number }} loss: the mean micro-batch loss (nats per byte)
   */
  step() {
    this._check();
    const { native } = this._state;
    return wasmCall(this, () => {
      if (!native.step()) throw new Error(`step: ${native.error()}`);
      this._last = { step: native.stepsDone(), loss: native.loss(), lr: native.lr(), grad_norm: native.gradNorm() };
      return { ...this._last };
    });
  }

  /**
   * Mean loss over the fixed validation windows (valid_batches x batch
   * windows of seq + 1 bytes, the same every call).
   * @returns {{ nats: number, bits: number }} per byte
   */
  validate() {
    this._check();
    const { native } = this._state;
    return wasmCall(this, () => {
      if (!native.validate()) throw new Error(`validate: ${native.error()}`);
      const nats = native.validLoss();
      return { nats, bits: nats / LN2 };
    });
  }

  /**
   * `len` bytes sampled with the reference package's rule (top-k filter_thres 0.9,
   * temperature 1) after `prime` (text or bytes), by default sample_prime
   * bytes of validation data. Returns the prime followed by the new text.
   * @param {number} [len]
   * @param {string|Uint8Array} [prime]
   * @returns {string}
   */
  sample(len = 512, prime = undefined) {
    return this._sample(len, prime).text;
  }

  /** @private */
  _sample(len, prime) {
    this._check();
    if (!Number.isSafeInteger(len) || len < 0) throw new Error(`sample: len must be an integer >= 0, got ${describe(len)}`);
    let primeBytes = null;
    if (prime !== undefined && prime !== null) {
      if (typeof prime === 'string') primeBytes = new TextEncoder().encode(prime);
      else if (prime instanceof Uint8Array) primeBytes = prime;
      else throw new TypeError(`sample: prime must be a string or a Uint8Array, got ${describe(prime)}`);
      if (primeBytes.length === 0) throw new Error('sample: the prime is empty (the reference package needs at least one token)');
    }
    const { native } = this._state;
    return wasmCall(this, () => {
      if (primeBytes) {
        const view = native.primeBuffer(primeBytes.length);
        if (view === null) throw new Error(`sample: ${native.error()}`);
        view.set(primeBytes);
      }
      if (!native.sample(len, primeBytes !== null)) {
        throw new Error(`sample: ${native.error()}`);
      }
      const bytes = native.sampled().slice();
      const p = native.sampledPrimeLength();
      return { text: decoder.decode(bytes), prime: decoder.decode(bytes.subarray(0, p)) };
    });
  }

  /**
   * Runs optimiser steps, yielding to the event loop between them, with
   * periodic validation and samples reported to `progress_callback`.
   * @param {import('../index.js').TrainerRunOptions} [options]
   * @returns {Promise<import('../index.js').TrainerRunResult>}
   */
  async run(options = {}) {
    this._check();
    const fn = 'run';
    checkOptions(options, RUN_OPTIONS, fn);
    const total = this._options.steps;
    const done0 = this._state.native.stepsDone();
    const steps = numberOption(options, 'steps', fn, { min: 0, integer: true }) ?? Math.max(0, total - done0);
    const validEvery = numberOption(options, 'valid_every', fn, { min: 0, integer: true }) ?? this._options.valid_every;
    const sampleEvery = numberOption(options, 'sample_every', fn, { min: 0, integer: true }) ?? this._options.sample_every;
    const sampleLen = numberOption(options, 'sample_len', fn, { min: 0, integer: true }) ?? this._options.sample_len;
    const cb = options.progress_callback;
    if (cb !== undefined && typeof cb !== 'function') throw new TypeError(`${fn}: progress_callback must be a function, got ${describe(cb)}`);
    const { signal } = options;
    if (signal !== undefined && (signal === null || typeof signal.aborted !== 'boolean')) {
      throw new TypeError(`${fn}: signal must be an AbortSignal, got ${describe(signal)}`);
    }
    if (this._running) throw new Error(`${fn}: this trainer is already running`);
    this._running = true;
    const target = done0 + steps;
    const shownTotal = Math.max(total, target);
    const tokensPerStep = this._state.native.tokensPerStep();
    const t0 = now();
    let stepMs = 0;
    let valid = null;
    let finish = 'steps';
    const emit = (event) => (cb ? cb(event) !== false : true);
    try {
      for (let i = 0; i < steps; i++) {
        if (signal?.aborted) { finish = 'abort'; break; }
        const s0 = now();
        const r = this.step();
        stepMs += now() - s0;
        const elapsed = (now() - t0) / 1000;
        const stepsRun = i + 1;
        const common = {
          step: r.step, steps: shownTotal, lr: r.lr, grad_norm: r.grad_norm,
          tokens_per_second: (tokensPerStep * stepsRun) / Math.max(stepMs / 1000, 1e-9),
          eta_seconds: (elapsed / stepsRun) * (target - r.step),
          elapsed_seconds: elapsed,
        };
        if (!emit({ kind: 'step', ...common, loss: r.loss })) { finish = 'callback'; break; }
        const last = stepsRun === steps;
        if (validEvery > 0 && (r.step % validEvery === 0 || last)) {
          valid = this.validate();
          if (!emit({ kind: 'valid', ...common, loss: valid.nats, bits: valid.bits })) { finish = 'callback'; break; }
        }
        if (sampleEvery > 0 && r.step % sampleEvery === 0) {
          const s = this._sample(sampleLen, undefined);
          if (!emit({ kind: 'sample', ...common, loss: r.loss, text: s.text, prime: s.prime })) { finish = 'callback'; break; }
        }
        if (!last) {
          await yieldToEventLoop();
          this._check();
        }
      }
    } finally {
      this._running = false;
    }
    const seconds = (now() - t0) / 1000;
    const ran = this._state.native.stepsDone() - done0;
    return {
      steps_done: this._state.native.stepsDone(),
      steps_run: ran,
      finish_reason: finish,
      loss: this._last.loss,
      valid,
      seconds,
      tokens_per_second: ran ? (tokensPerStep * ran) / Math.max(stepMs / 1000, 1e-9) : 0,
    };
  }

  /**
   * The current weights as safetensors (the reference package's state_dict names, the
   * config in `__metadata__.config`): loadable by LongShortTransformer.load
   * and by PyTorch's load_state_dict.
   * @param {{ dtype?: 'float32'|'float16' }} [options]
   * @returns {Uint8Array}
   */
  save({ dtype = 'float32', ...rest } = {}) {
    this._check();
    if (Object.keys(rest).length) throw new Error(`save: unknown option '${Object.keys(rest)[0]}' (expected dtype)`);
    if (dtype !== 'float32' && dtype !== 'float16') throw new Error(`save: dtype must be 'float32' or 'float16', got ${describe(dtype)}`);
    const { native } = this._state;
    return wasmCall(this, () => {
      if (!native.save(dtype === 'float16')) throw new Error(`save: ${native.error()}`);
      const bytes = native.saved().slice();
      native.releaseSaved();
      return bytes;
    });
  }

  /**
   * The whole training state as bytes to store (IndexedDB, a file, ...):
   * the weights, Adam's moments and step counter, the step count and the
   * data sampler's state, as `lst train` checkpoints them. One safetensors
   * file (the weights under the reference package's names, so it also loads as a model;
   * `__metadata__.kind` is `'lst-trainer-state'`, `.train` the options it
   * ran with), with a checksum. {@link Trainer#resume} continues from it.
   * @returns {Uint8Array}
   */
  saveState() {
    this._check();
    const { native } = this._state;
    return wasmCall(this, () => {
      if (!native.saveState()) throw new Error(`saveState: ${native.error()}`);
      const bytes = native.saved().slice();
      native.releaseSaved();
      return bytes;
    });
  }

  /**
   * Continues from {@link Trainer#saveState}'s bytes: the weights, Adam's
   * state, the step count and the data sampler become the saved ones, so a
   * trainer created with the same options and data, resumed, then stepped
   * N - k times equals one that ran N steps, bit for bit. A state that is
   * truncated, corrupted (checksum) or of another config throws an Error
   * naming the problem and leaves the trainer as it was.
   * @param {Uint8Array|ArrayBuffer} state
   * @returns {number} the steps done, as saved
   */
  resume(state) {
    this._check();
    const fn = 'resume';
    let bytes;
    if (state instanceof Uint8Array) bytes = state;
    else if (state instanceof ArrayBuffer) bytes = new Uint8Array(state);
    else if (ArrayBuffer.isView(state)) bytes = new Uint8Array(state.buffer, state.byteOffset, state.byteLength);
    else throw new TypeError(`${fn}: state must be the Uint8Array of saveState(), got ${describe(state)}`);
    if (this._running) throw new Error(`${fn}: this trainer is running: resume between runs`);
    const { Module, native } = this._state;
    return wasmCall(this, () => {
      const buf = heapBuffer(Module, bytes, 'trainer state');
      try {
        if (!native.resume(buf)) throw new Error(`${fn}: ${native.error()}`);
      } finally {
        buf.release();
        buf.delete();
      }
      this._last = { step: native.stepsDone(), loss: NaN, lr: 0, grad_norm: 0 };
      return native.stepsDone();
    });
  }

  /**
   * The trained model as a LongShortTransformer (its own wasm instance; the
   * trainer's engine options unless `options` says otherwise).
   * @param {import('../index.js').EngineOptions} [options]
   * @returns {Promise<LongShortTransformer>}
   */
  async toModel(options) {
    return LongShortTransformer.load(this.save({ dtype: 'float32' }), options ?? { ...this._options.engine });
  }

  /** Frees the trainer, its WebAssembly memory and its threads. Idempotent. */
  dispose() {
    finalizer?.unregister(this._state);
    releaseState(this._state);
  }

  /** @private */
  _check() {
    if (this._state.released) throw new Error('trainer was disposed');
    if (this._crashed) throw new Error(`the WebAssembly module crashed earlier (${this._crashed}); create the trainer again`);
  }
}

const CONSTRUCT = Symbol('construct');
