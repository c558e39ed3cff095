// The public model class: the reference package's LongShortTransformer in WebAssembly.
import { configToJson, describe, splitConfig } from './config.js';
import { flatten, writeMask, writeTokens } from './inputs.js';
import { chooseVariant } from './runtime/choose-variant.js';
import { instantiate, terminateWorkers } from './runtime/instantiate.js';
import { ENGINE_OPTIONS, checkOptions, finalizer, releaseState } from './runtime/native-handle.js';
import { readSource } from './runtime/read-source.js';
import { checkSignal, throwIfAborted } from './runtime/abort.js';
import { splitGenerateOptions } from './generation/options.js';
import { encodeText } from './generation/text.js';
import { tokenLoop } from './generation/token-loop.js';

// The engine decides the values (model/stored_weights.h); JS only checks the type.
function weightsOption(w) {
  if (w === undefined || w === null) return '';
  if (typeof w !== 'string') throw new TypeError(`weights must be a string ('f32', 'f16', 'int8' or 'stored'), got ${describe(w)}`);
  return w;
}

const LOAD_OPTIONS = [...ENGINE_OPTIONS, 'config', 'progress_callback', 'signal', 'cache', 'weights'];
const CREATE_OPTIONS = [...ENGINE_OPTIONS, 'seed', 'weights'];

/**
 * The Long-Short Transformer language model (Transformer-LS), running the
 * engine's WebAssembly build. Get one with {@link LongShortTransformer.load}
 * or {@link LongShortTransformer.create}; free it with {@link LongShortTransformer#dispose}.
 */
export class LongShortTransformer {
  /** @private */
  constructor(token, Module, native, { variant, simd }) {
    if (token !== CONSTRUCT) throw new Error('use LongShortTransformer.load() or LongShortTransformer.create()');
    /** @private */
    this._state = { Module, native, released: false };
    /** @private */
    this._config = Object.freeze(JSON.parse(native.configJson()));
    /** @private */
    this._numParameters = native.numParameters();
    /** @private */
    this._runtime = Object.freeze({
      variant, simd, threads: native.numThreads(), backend: native.backend(), weights: native.weightFormat(),
    });
    /** @private */
    this._crashed = null;
    finalizer?.register(this, this._state, this._state);
  }

  /**
   * Loads weights saved as safetensors (the reference package's state_dict names; the
   * config from the file's `__metadata__.config` unless `config` is given).
   * @param {string|URL|ArrayBuffer|ArrayBufferView|Response|Blob} source a URL (fetched), a file
   *   path or file: URL (Node), the file's bytes, or a Response.
   * @param {import('./index.js').LoadOptions} [options]
   * @returns {Promise<LongShortTransformer>}
   */
  static async load(source, options = {}) {
    checkOptions(options, LOAD_OPTIONS, 'load');
    const { signal, cache = true, progress_callback } = options;
    checkSignal(signal, 'load');
    if (cache !== true && cache !== false && cache !== 'revalidate') {
      throw new Error(`load: cache must be true, false or 'revalidate', got ${describe(cache)}`);
    }
    if (progress_callback !== undefined && typeof progress_callback !== 'function') {
      throw new TypeError(`load: progress_callback must be a function, got ${describe(progress_callback)}`);
    }
    const configJson = options.config === undefined || options.config === null ? '' : configToJson(options.config);
    const { variant, threads, simd } = chooseVariant(options);
    const [read, started] = await Promise.allSettled([
      readSource(source, progress_callback, { signal, cache }),
      instantiate(variant, { threads, simd, wasmPaths: options.wasmPaths }),
    ]);
    if (started.status === 'fulfilled' && (read.status === 'rejected' || signal?.aborted)) terminateWorkers(started.value);
    if (read.status === 'rejected') throw read.reason;
    if (started.status === 'rejected') throw started.reason;
    throwIfAborted(signal);
    const bytes = read.value;
    const Module = started.value;
    const file = new Module.HeapBuffer();
    const native = new Module.WasmModel();
    try {
      if (!file.resize(bytes.length)) throw new Error(`could not hold the weight file: ${file.error()}`);
      file.view().set(bytes);
      if (!native.loadSafetensors(file, configJson, threads, options.backend ?? '', weightsOption(options.weights))) {
        throw new Error(native.error());
      }
    } catch (e) {
      native.delete();
      terminateWorkers(Module);
      throw e;
    } finally {
      file.release();
      file.delete();
    }
    return new LongShortTransformer(CONSTRUCT, Module, native, { variant, simd });
  }

  /**
   * A fresh model with the reference package's constructor kwargs and its default
   * initialisation from a seeded PRNG.
   * @param {import('./index.js').CreateOptions} options
   * @returns {Promise<LongShortTransformer>}
   */
  static async create(options) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`create: expected the reference package's kwargs, got ${describe(options)}`);
    }
    const { config, rest } = splitConfig(options);
    checkOptions(rest, CREATE_OPTIONS, 'create');
    const configJson = configToJson(config);
    const seed = rest.seed ?? 0;
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`create: seed must be a non-negative integer, got ${describe(seed)}`);
    const { variant, threads, simd } = chooseVariant(rest);
    const Module = await instantiate(variant, { threads, simd, wasmPaths: rest.wasmPaths });
    const native = new Module.WasmModel();
    if (!native.initRandom(configJson, seed, threads, rest.backend ?? '', weightsOption(rest.weights))) {
      const message = native.error();
      native.delete();
      terminateWorkers(Module);
      throw new Error(message);
    }
    return new LongShortTransformer(CONSTRUCT, Module, native, { variant, simd });
  }

  /**
   * The reference package's constructor kwargs of this model.
   * @type {import('./index.js').LongShortTransformerConfig}
   */
  get config() {
    this._check();
    return this._config;
  }

  /** Number of trainable parameters (as the reference package's `sum(p.numel())`). */
  get numParameters() {
    this._check();
    return this._numParameters;
  }

  /** Which build runs this model: `{ variant: 'single'|'threaded', simd: 'relaxed'|'simd128', threads, backend, weights }`. */
  get runtime() {
    this._check();
    return this._runtime;
  }

  /** True after {@link LongShortTransformer#dispose}. */
  get disposed() {
    return this._state.released;
  }

  /**
   * Logits of every position: `model(tokens, mask=mask)` of the reference package.
   * @param {import('./index.js').TokensInput} tokens ids in [0, num_tokens): number[] (one
   *   sequence), number[][] (a batch), a typed array with `dims`, or `{ data, dims }`.
   * @param {import('./index.js').ForwardOptions} [options] `mask` (same shape as tokens,
   *   booleans or 0/1, true = real token), `dims` ([n] or [b, n]) for flat tokens, `out`
   *   (a Float32Array of b * n * num_tokens to fill, reused across calls; default: a new one).
   * @returns {{ data: Float32Array, dims: [number, number, number] }} logits (b, n, num_tokens)
   */
  forward(tokens, options = {}) {
    this._check();
    if (options === null || typeof options !== 'object') throw new TypeError(`forward: options must be an object, got ${describe(options)}`);
    for (const key of Object.keys(options)) {
      if (key !== 'mask' && key !== 'dims' && key !== 'out' && key !== 'checkFinite') {
        throw new Error(`forward: unknown option '${key}' (expected mask, dims, out, checkFinite)`);
      }
    }
    const t = flatten(tokens, options.dims, 'tokens');
    const [b, n] = t.dims;
    let m = null;
    if (options.mask !== undefined && options.mask !== null) {
      const mask = options.mask;
      const flat = ArrayBuffer.isView(mask) || (Array.isArray(mask) && !Array.isArray(mask[0]));
      if (flat && mask.length !== b * n) {
        throw new Error(`mask has ${mask.length} entries but tokens have shape [${b}, ${n}] (${b * n} entries)`);
      }
      m = flatten(mask, flat ? t.dims : undefined, 'mask');
      if (m.dims[0] !== b || m.dims[1] !== n) {
        throw new Error(`mask has shape [${m.dims.join(', ')}] but tokens have shape [${b}, ${n}]`);
      }
    }
    const V = this._config.num_tokens;
    if (b * n * V * 4 >= 2 ** 32) {
      throw new Error(`logits of shape [${b}, ${n}, ${V}] do not fit in the 4 GB WebAssembly heap: run fewer sequences at once`);
    }
    const { out } = options;
    if (out !== undefined && (!(out instanceof Float32Array) || out.length !== b * n * V)) {
      throw new Error(`forward: out must be a Float32Array of ${b} * ${n} * ${V} = ${b * n * V} logits, got ${describe(out)}`);
    }
    const { native } = this._state;
    return this._call(() => {
      const tokenView = native.inputTokens(b * n);
      if (tokenView === null) throw new Error(native.error());
      writeTokens(t, V, tokenView);
      if (m) {
        const maskView = native.inputMask(b * n);
        if (maskView === null) throw new Error(native.error());
        writeMask(m, maskView);
      }
      if (!native.forward(b, n, m !== null)) throw new Error(native.error());
      // A copy: the heap view dies when the heap grows. Filling a reused `out`
      // skips the fresh allocation (whose first-touch page faults can cost
      // more than the copy itself).
      let data;
      if (out) {
        data = out;
        data.set(native.logits());
      } else {
        data = native.logits().slice();
      }
      if (options.checkFinite) throwIfNotFinite(data, b, n, V);
      return { data, dims: [b, n, V] };
    });
  }

  /**
   * Held-out loss of a byte-level model (num_tokens 256) over `data`: the
   * reference package's loss over consecutive windows of `seq` + 1 bytes
   * (default max_seq_len), every byte after the first predicted once,
   * computed by the engine (the same evaluation as `lst eval-text`).
   * @param {string|Uint8Array|ArrayBuffer} data text (UTF-8) or bytes, at least 2
   * @param {{ seq?: number }} [options]
   * @returns {{ nats_per_byte: number, bits_per_byte: number, bytes: number }}
   */
  evaluate(data, { seq, ...rest } = {}) {
    this._check();
    if (Object.keys(rest).length) throw new Error(`evaluate: unknown option '${Object.keys(rest)[0]}' (expected seq)`);
    const bytes = typeof data === 'string' ? encodeText(data)
      : data instanceof ArrayBuffer ? new Uint8Array(data)
        : data instanceof Uint8Array ? data : null;
    if (bytes === null) throw new TypeError(`evaluate: data must be a string, a Uint8Array or an ArrayBuffer, got ${describe(data)}`);
    // A JS type only (the range is the engine's): Embind would turn "8" or true into a number.
    if (seq !== undefined && typeof seq !== 'number') throw new TypeError(`evaluate: seq must be an integer, got ${describe(seq)}`);
    const { Module, native } = this._state;
    return this._call(() => {
      const buffer = new Module.HeapBuffer();
      try {
        if (!buffer.resize(bytes.length)) throw new Error(`evaluate: ${buffer.error()}`);
        buffer.view().set(bytes);
        const nats = native.evaluateBytes(buffer, seq ?? this._config.max_seq_len);
        if (Number.isNaN(nats)) throw new Error(`evaluate: ${native.error()}`);
        return { nats_per_byte: nats, bits_per_byte: nats / Math.LN2, bytes: bytes.length };
      } finally {
        buffer.release();
        buffer.delete();
      }
    });
  }

  /**
   * The weights as a safetensors file (the reference package's state_dict names, the config
   * in `__metadata__.config`), loadable by {@link LongShortTransformer.load}
   * and by the reference package (`safetensors.torch.load_file`).
   * 'int8' stores each matrix as I8 plus a `.qscale` F32 scale per block of 32
   * (docs/QUANTIZATION.md); PyTorch loads 'float32' and 'float16' files.
   * @param {{ dtype?: 'float32'|'float16'|'int8' }} [options]
   * @returns {Uint8Array}
   */
  save({ dtype = 'float32', ...rest } = {}) {
    this._check();
    if (Object.keys(rest).length) throw new Error(`save: unknown option '${Object.keys(rest)[0]}' (expected dtype)`);
    if (typeof dtype !== 'string') throw new Error(`save: dtype must be 'float32', 'float16' or 'int8', got ${describe(dtype)}`);
    const { native } = this._state;
    return this._call(() => {
      if (!native.save(dtype)) throw new Error(native.error());
      const bytes = native.saved().slice();
      native.releaseOutputs();
      return bytes;
    });
  }

  /**
   * The reference package's `generate()` (AutoregressiveWrapper): samples `max_new_tokens`
   * new tokens after `prompt` with the incremental cache. Strings need a
   * byte-level model (num_tokens 256); a list of prompts generates each row
   * independently (stream = row index) and resolves to a list of results.
   * @param {string|number[]|string[]|number[][]} prompt
   * @param {import('./index.js').GenerateOptions} [options]
   * @returns {Promise<import('./index.js').GenerateResult|import('./index.js').GenerateResult[]>}
   */
  async generate(prompt, options = {}) {
    this._check();
    if (Array.isArray(prompt) && prompt.length > 0 &&
        (typeof prompt[0] === 'string' || Array.isArray(prompt[0]) || ArrayBuffer.isView(prompt[0]))) {
      const results = [];
      for (let row = 0; row < prompt.length; row++) results.push(await this._generateOne(prompt[row], options, row));
      return results;
    }
    return this._generateOne(prompt, options, 0);
  }

  /**
   * The same generation as an async iterator of steps
   * `{ token, text, index, context_length, ms, attention? }`.
   * @param {string|number[]} prompt
   * @param {import('./index.js').GenerateOptions} [options]
   * @returns {AsyncGenerator<import('./index.js').GenerationStep>}
   */
  async *stream(prompt, options = {}) {
    this._check();
    const { ids, o } = this._prepareGeneration(prompt, options);
    yield* this._steps(ids, o, 0, {});
  }

  /** @private */
  async _generateOne(prompt, options, row) {
    const { ids, o } = this._prepareGeneration(prompt, options);
    const result = {};
    const tokens = [];
    let text = '';
    const t0 = typeof performance !== 'undefined' ? performance.now() : Date.now();
    for await (const step of this._steps(ids, o, row, result)) {
      tokens.push(step.token);
      text += step.text;
      if (o.callback && o.callback(step) === false) {
        result.finish_reason = 'callback';
        break;
      }
    }
    const seconds = ((typeof performance !== 'undefined' ? performance.now() : Date.now()) - t0) / 1000;
    const out = {
      tokens,
      text: '',
      finish_reason: result.finish_reason,
      warnings: result.warnings ?? [],
      stats: { tokens_per_second: tokens.length / Math.max(seconds, 1e-9), ms_per_token: (seconds * 1000) / Math.max(tokens.length, 1) },
    };
    // Byte-level models: the UTF-8 text; other vocabularies have no text ('').
    out.text = this._config.num_tokens === 256 ? text + (result.tail ?? '') : '';
    return out;
  }

  /** @private */
  _prepareGeneration(prompt, options) {
    const c = this._config;
    const bytes = c.num_tokens === 256;
    const encode = (s) => {
      if (!bytes) throw new Error(`generate: text needs a byte-level model (num_tokens 256); this one has ${c.num_tokens}: pass token ids`);
      return encodeText(s);
    };
    const o = splitGenerateOptions(options);
    let ids;
    if (typeof prompt === 'string') ids = encode(prompt);
    else if (Array.isArray(prompt) || ArrayBuffer.isView(prompt)) ids = Array.from(prompt);
    else throw new Error(`generate: prompt must be a string or a list of token ids, got ${describe(prompt)}`);
    if (ids.length === 0) throw new Error('generate: the prompt is empty (the reference package needs at least one token)');
    ids.forEach((t, i) => {
      if (!Number.isInteger(t) || t < 0 || t >= c.num_tokens) {
        throw new Error(`generate: prompt token ${describe(t)} at index ${i} is not an id in [0, ${c.num_tokens})`);
      }
    });
    return { ids, o };
  }

  /** @private */
  async *_steps(ids, o, row, result) {
    const { Module, native } = this._state;
    const steps = tokenLoop(Module, native, this._config, ids, o, row, result, () => this._check());
    while (true) {
      const next = await this._call(() => steps.next());
      if (next.done) return;
      yield next.value;
    }
  }

  /** Frees the model, its WebAssembly memory and its threads. Idempotent. */
  dispose() {
    // Called from inside a call (a getter or callback): freed when it returns.
    if (this._busy) {
      this._disposeAfterCall = true;
      return;
    }
    this._disposeAfterCall = false;
    finalizer?.unregister(this._state);
    releaseState(this._state);
  }

  /** @private */
  _check() {
    if (this._state.released) throw new Error('model was disposed');
    if (this._crashed) throw new Error(`the WebAssembly module crashed earlier (${this._crashed}); load the model again`);
  }

  /** @private Runs a wasm call; a trap (not an engine error) retires the instance. */
  _call(fn) {
    // One call at a time per model: a token getter or a callback that calls
    // into the same model while its call writes the heap (a view taken before
    // the heap grows stays writable on a SharedArrayBuffer) would corrupt it.
    if (this._busy) {
      throw new Error('re-entrant call: this model is already inside a call (a token getter, mask getter or callback ' +
        'called it from inside forward/generate/evaluate/save on the same model); call it after the outer call ' +
        'returns, or use a second model');
    }
    // Input conversion before the call may run user code (getters) that
    // disposed the model.
    this._check();
    this._busy = true;
    try {
      return fn();
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError || !(e instanceof Error)) {
        this._crashed = String(e?.message ?? e);
        this._state.crashed = true;  // never handed to another model (native-handle.js)
        throw new Error(`the WebAssembly module crashed: ${this._crashed}`);
      }
      throw e;
    } finally {
      this._busy = false;
      if (this._disposeAfterCall) this.dispose();
    }
  }
}

const CONSTRUCT = Symbol('construct');

/** forward({ checkFinite: true }): names the first NaN/infinite logit. */
function throwIfNotFinite(data, b, n, V) {
  for (let k = 0; k < data.length; k++) {
    const x = data[k];
    if (x - x !== 0) {  // NaN or ±Infinity
      const i = Math.floor(k / (n * V)), t = Math.floor(k / V) % n, v = k % V;
      throw new Error(`forward: logit [${i}, ${t}, ${v}] is ${x} (not finite: the weights or inputs overflow float32)`);
    }
  }
}
