// LongShortTransformerWorker: the same API as LongShortTransformer with the
// model in a Worker (worker_threads in Node), so that the caller's thread
// (a page's UI) never blocks: forward() and save() return Promises.
import { startModelWorker } from '#platform';
import { describe } from '../config.js';

/**
 * The Long-Short Transformer in a Worker. Get one with
 * {@link LongShortTransformerWorker.load} or {@link LongShortTransformerWorker.create};
 * options as for LongShortTransformer.
 */
export class LongShortTransformerWorker {
  /** @private */
  constructor(token, worker) {
    if (token !== CONSTRUCT) throw new Error('use LongShortTransformerWorker.load() or .create()');
    /** @private */
    this._worker = worker;
    /** @private */
    this._pending = new Map();
    /** @private */
    this._nextId = 1;
    /** @private */
    this._info = null;
    /** @private */
    this._disposed = false;
    worker.ref?.();  // until the worker says it is ready
    /** @private */
    this._ready = new Promise((resolve, reject) => {
      this._fail = reject;
      worker.onmessage = ({ data }) => {
        if (data.ready) {
          if (this._pending.size === 0) worker.unref?.();
          resolve();
          return;
        }
        const p = this._pending.get(data.id);
        if (!p) return;
        if (data.progress) { p.progress?.(data.progress); return; }
        this._pending.delete(data.id);
        if (this._pending.size === 0) worker.unref?.();
        if (data.error) p.reject(new Error(data.error.message));
        else p.resolve(data.result);
      };
      worker.onerror = (e) => {
        const err = new Error(`the model worker failed: ${e?.message ?? e}`);
        reject(err);
        for (const p of this._pending.values()) p.reject(err);
        this._pending.clear();
      };
    });
  }

  /** @private */
  async _call(method, args, { transfer = [], progress } = {}) {
    if (this._disposed) throw new Error('model was disposed');
    await this._ready;
    const id = this._nextId++;
    return new Promise((resolve, reject) => {
      if (this._pending.size === 0) this._worker.ref?.();
      this._pending.set(id, { resolve, reject, progress });
      this._worker.postMessage({ id, method, args }, transfer);
    });
  }

  /**
   * Loads safetensors weights in a new Worker.
   * @param {string|URL|ArrayBuffer|ArrayBufferView|Response|Blob} source
   * @param {import('../index.js').LoadOptions} [options]
   * @returns {Promise<LongShortTransformerWorker>}
   */
  static async load(source, options = {}) {
    const { progress_callback, ...rest } = options;
    let src = source;
    if (typeof Response !== 'undefined' && source instanceof Response) src = new Uint8Array(await source.arrayBuffer());
    else if (source instanceof URL) src = source.href;
    else if (source instanceof ArrayBuffer) src = new Uint8Array(source.slice(0));
    else if (ArrayBuffer.isView(source)) src = new Uint8Array(source.buffer, source.byteOffset, source.byteLength).slice();
    if (rest.wasmPaths instanceof URL) rest.wasmPaths = rest.wasmPaths.href;
    const m = new LongShortTransformerWorker(CONSTRUCT, await startModelWorker());
    try {
      m._info = await m._call('load', [src, { ...rest, progress: Boolean(progress_callback) }],
        { transfer: src instanceof Uint8Array ? [src.buffer] : [], progress: progress_callback });
    } catch (e) {
      m.dispose();
      throw e;
    }
    return m;
  }

  /**
   * A fresh model (the seed's kwargs + seed) in a new Worker.
   * @param {import('../index.js').CreateOptions} options
   * @returns {Promise<LongShortTransformerWorker>}
   */
  static async create(options) {
    if (options === null || typeof options !== 'object') throw new TypeError(`create: expected the seed's kwargs, got ${describe(options)}`);
    const opts = { ...options };
    if (opts.wasmPaths instanceof URL) opts.wasmPaths = opts.wasmPaths.href;
    const m = new LongShortTransformerWorker(CONSTRUCT, await startModelWorker());
    try {
      m._info = await m._call('create', [opts]);
    } catch (e) {
      m.dispose();
      throw e;
    }
    return m;
  }

  /** @private */
  _check() {
    if (this._disposed) throw new Error('model was disposed');
  }

  /** The seed's kwargs of this model. */
  get config() { this._check(); return this._info.config; }
  /** Trainable parameters. */
  get numParameters() { this._check(); return this._info.numParameters; }
  /** The build and thread count running this model. */
  get runtime() { this._check(); return this._info.runtime; }
  /** True after dispose(). */
  get disposed() { return this._disposed; }

  /**
   * Logits (b, n, num_tokens), computed in the Worker.
   * @param {import('../index.js').TokensInput} tokens
   * @param {import('../index.js').ForwardOptions} [options]
   * @returns {Promise<{ data: Float32Array, dims: [number, number, number] }>}
   */
  async forward(tokens, options = {}) {
    const { out, ...rest } = options ?? {};
    const result = await this._call('forward', [tokens, rest]);
    if (out === undefined) return result;
    if (!(out instanceof Float32Array) || out.length !== result.data.length) {
      throw new Error(`forward: out must be a Float32Array of ${result.dims.join(' * ')} = ${result.data.length} logits`);
    }
    out.set(result.data);
    return { data: out, dims: result.dims };
  }

  /**
   * The weights as a safetensors file.
   * @param {{ dtype?: 'float32'|'float16' }} [options]
   * @returns {Promise<Uint8Array>}
   */
  save(options = {}) {
    return this._call('save', [options]);
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
    const id = this._nextId;  // the id _call() is about to use
    const onAbort = () => { if (!this._disposed) this._worker.postMessage({ id: 0, method: 'abort', args: [id] }); };
    if (signal?.aborted) rest.pre_aborted = true;
    signal?.addEventListener?.('abort', onAbort, { once: true });
    let stopped = false;
    try {
      return await this._call('generate', [prompt, rest], {
        progress: (step) => {
          if (stopped || !callback) return;
          if (callback(step) === false) { stopped = true; this._worker.postMessage({ id: 0, method: 'stop', args: [id] }); }
        },
      });
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
    if (this._disposed) return;
    this._disposed = true;
    const err = new Error('model was disposed');
    for (const p of this._pending.values()) p.reject(err);
    this._pending.clear();
    this._worker.terminate();
  }
}

const CONSTRUCT = Symbol('construct');
