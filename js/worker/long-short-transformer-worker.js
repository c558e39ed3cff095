// LongShortTransformerWorker: the same API as LongShortTransformer with the
// model in a Worker (worker_threads in Node), so that the caller's thread
// (a page's UI) never blocks: forward() and save() return Promises.
import { resolveForWorker } from '#model-worker';
import { describe } from '../config.js';
import { abortError, checkSignal } from '../runtime/abort.js';
import { WORKER_START_TIMEOUT_MS, WorkerConnection } from './worker-connection.js';

export { WORKER_START_TIMEOUT_MS };

/**
 * The Long-Short Transformer in a Worker. Get one with
 * {@link LongShortTransformerWorker.load} or {@link LongShortTransformerWorker.create};
 * options as for LongShortTransformer.
 */
export class LongShortTransformerWorker {
  /** @private */
  constructor(token, connection) {
    if (token !== CONSTRUCT) throw new Error('use LongShortTransformerWorker.load() or .create()');
    /** @private */
    this._conn = connection;
    /** @private */
    this._info = null;
  }

  /** @private */
  _call(method, args, options) {
    return this._conn.call(method, args, options);
  }

  /** @private Sends a control message about call `target`, if the worker is alive. */
  _control(method, target) {
    this._conn.control(method, target);
  }

  /** @private Starts a Worker and runs its first call (load or create), honouring `signal`. */
  static async _start(wasmPaths, method, args, { transfer, progress, signal }) {
    if (signal?.aborted) throw abortError(signal);
    const m = new LongShortTransformerWorker(CONSTRUCT,
      WorkerConnection.start(wasmPaths, { what: 'model', disposedMessage: 'model was disposed' }));
    const call = m._call(method, args, { transfer, progress });
    // An abort settles at once: the Worker is terminated, whatever it is doing.
    let onAbort;
    const aborted = new Promise((_, reject) => { onAbort = () => reject(abortError(signal)); });
    signal?.addEventListener?.('abort', onAbort, { once: true });
    try {
      m._info = await Promise.race([call.result, aborted]);
    } catch (e) {
      m.dispose();
      throw e;
    } finally {
      signal?.removeEventListener?.('abort', onAbort);
    }
    return m;
  }

  /**
   * Loads safetensors weights in a new Worker. A URL string resolves against
   * the calling page, as on the main thread; `signal` cancels the download.
   * @param {string|URL|ArrayBuffer|ArrayBufferView|Response|Blob} source
   * @param {import('../index.js').LoadOptions} [options]
   * @returns {Promise<LongShortTransformerWorker>}
   */
  static async load(source, options = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`load: options must be an object, got ${describe(options)}`);
    const { progress_callback, signal, ...rest } = options;
    checkSignal(signal, 'load');
    if (progress_callback !== undefined && typeof progress_callback !== 'function') {
      throw new TypeError(`load: progress_callback must be a function, got ${describe(progress_callback)}`);
    }
    let src = source;
    if (typeof Response !== 'undefined' && source instanceof Response) src = new Uint8Array(await source.arrayBuffer());
    else if (source instanceof ArrayBuffer) src = new Uint8Array(source.slice(0));
    else if (ArrayBuffer.isView(source)) src = new Uint8Array(source.buffer, source.byteOffset, source.byteLength).slice();
    const resolved = resolveForWorker(src, rest.wasmPaths);
    return LongShortTransformerWorker._start(rest.wasmPaths, 'load',
      [resolved.source, { ...rest, wasmPaths: resolved.wasmPaths, progress: Boolean(progress_callback) }],
      { transfer: resolved.source instanceof Uint8Array ? [resolved.source.buffer] : [], progress: progress_callback, signal });
  }

  /**
   * A fresh model (the seed's kwargs + seed) in a new Worker.
   * @param {import('../index.js').CreateOptions} options
   * @returns {Promise<LongShortTransformerWorker>}
   */
  static async create(options) {
    if (options === null || typeof options !== 'object') throw new TypeError(`create: expected the seed's kwargs, got ${describe(options)}`);
    const { wasmPaths } = resolveForWorker(undefined, options.wasmPaths);
    return LongShortTransformerWorker._start(options.wasmPaths, 'create', [{ ...options, wasmPaths }], {});
  }

  /** @private */
  _check() {
    if (this._conn.disposed) throw new Error('model was disposed');
  }

  /** The seed's kwargs of this model. */
  get config() { this._check(); return this._info.config; }
  /** Trainable parameters. */
  get numParameters() { this._check(); return this._info.numParameters; }
  /** The build and thread count running this model. */
  get runtime() { this._check(); return this._info.runtime; }
  /** True after dispose(). */
  get disposed() { return this._conn.disposed; }

  /**
   * Logits (b, n, num_tokens), computed in the Worker.
   * @param {import('../index.js').TokensInput} tokens
   * @param {import('../index.js').ForwardOptions} [options]
   * @returns {Promise<{ data: Float32Array, dims: [number, number, number] }>}
   */
  async forward(tokens, options = {}) {
    const { out, ...rest } = options ?? {};
    const result = await this._call('forward', [tokens, rest]).result;
    if (out === undefined) return result;
    if (!(out instanceof Float32Array) || out.length !== result.data.length) {
      throw new Error(`forward: out must be a Float32Array of ${result.dims.join(' * ')} = ${result.data.length} logits`);
    }
    out.set(result.data);
    return { data: out, dims: result.dims };
  }

  /**
   * Held-out loss of a byte-level model over `data`, computed in the Worker
   * (see LongShortTransformer#evaluate).
   * @param {string|Uint8Array|ArrayBuffer} data
   * @param {{ seq?: number }} [options]
   * @returns {Promise<{ nats_per_byte: number, bits_per_byte: number, bytes: number }>}
   */
  evaluate(data, options = {}) {
    return this._call('evaluate', [data, options]).result;
  }

  /**
   * The weights as a safetensors file.
   * @param {{ dtype?: 'float32'|'float16' }} [options]
   * @returns {Promise<Uint8Array>}
   */
  save(options = {}) {
    return this._call('save', [options]).result;
  }

  /**
   * The seed's generate(), run in the Worker; `callback` receives each step
   * on this thread as it is made, and `signal` aborts between tokens.
   * @param {string|number[]|string[]|number[][]} prompt
   * @param {import('../index.js').GenerateOptions} [options]
   * @returns {Promise<import('../index.js').GenerateResult|import('../index.js').GenerateResult[]>}
   */
  async generate(prompt, options = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`generate: options must be an object, got ${describe(options)}`);
    const { callback, signal, ...rest } = options;
    if (callback !== undefined && typeof callback !== 'function') throw new Error(`generate: callback must be a function, got ${describe(callback)}`);
    this._check();
    let stopped = false;
    const call = this._call('generate', [prompt, { ...rest, pre_aborted: signal?.aborted === true }], {
      progress: (step) => {
        if (stopped || !callback) return;
        if (callback(step) === false) { stopped = true; this._control('stop', call.id); }
      },
    });
    const onAbort = () => this._control('abort', call.id);
    signal?.addEventListener?.('abort', onAbort, { once: true });
    try {
      return await call.result;
    } finally {
      signal?.removeEventListener?.('abort', onAbort);
    }
  }

  /**
   * generate() as an async iterator of steps.
   * @param {string|number[]} prompt
   * @param {import('../index.js').GenerateOptions} [options]
   * @returns {AsyncGenerator<import('../index.js').GenerationStep>}
   */
  async *stream(prompt, options = {}) {
    const queue = [];
    let wake = null, done = false, failure = null;
    const ac = new AbortController();
    const outer = options?.signal;
    const forward = () => ac.abort();
    outer?.addEventListener?.('abort', forward, { once: true });
    const run = this.generate(prompt, {
      ...options, signal: ac.signal,
      callback: (step) => { queue.push(step); wake?.(); },
    }).then(() => { done = true; wake?.(); }, (e) => { failure = e; done = true; wake?.(); });
    try {
      while (true) {
        if (queue.length) { yield queue.shift(); continue; }
        if (done) break;
        await new Promise((r) => { wake = r; });
        wake = null;
      }
      if (failure) throw failure;
    } finally {
      if (!done) ac.abort();  // the consumer stopped early
      outer?.removeEventListener?.('abort', forward);
      await run;
    }
  }

  /** Frees the model and stops its Worker. Idempotent. */
  dispose() {
    this._conn.dispose();
  }
}

const CONSTRUCT = Symbol('construct');
