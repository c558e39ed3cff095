// LongShortTransformerWorker: the same API as LongShortTransformer with the
// model in a Worker (worker_threads in Node), so that the caller's thread
// (a page's UI) never blocks: forward() and save() return Promises.
import { resolveForWorker, startModelWorker } from '#model-worker';
import { describe } from '../config.js';
import { abortError, checkSignal } from '../runtime/abort.js';

/** How long a new model Worker may take to say it is ready before load()/create() fail. */
export const WORKER_START_TIMEOUT_MS = 30_000;

/** An Error for a Worker 'error' event: an ErrorEvent, an Error (Node), or a bare Event (a script that did not load). */
function workerError(e, url) {
  const detail = e?.message || (e?.filename ? `${e.filename}:${e.lineno}` : '') ||
    'its script could not be loaded or run (not served there, served with a wrong MIME type, or blocked by the ' +
    "page's Cross-Origin-Embedder-Policy)";
  return new Error(`the model worker ${url} failed: ${detail}. If you bundle or host the package yourself, serve ` +
    "dist/lst-worker.js with the other dist/ files and pass { wasmPaths: '<URL of that folder>/' }; or use " +
    'LongShortTransformer on this thread');
}

/**
 * The Long-Short Transformer in a Worker. Get one with
 * {@link LongShortTransformerWorker.load} or {@link LongShortTransformerWorker.create};
 * options as for LongShortTransformer.
 */
export class LongShortTransformerWorker {
  /** @private */
  constructor(token, { worker, url }) {
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
    /** @private */
    this._failure = null;
    worker.ref?.();  // until the worker says it is ready
    let timer;
    /** @private */
    this._ready = new Promise((resolve, reject) => {
      const fail = (err) => {
        clearTimeout(timer);
        this._failure ??= err;
        reject(err);
        for (const p of this._pending.values()) p.reject(err);
        this._pending.clear();
        worker.unref?.();
      };
      timer = setTimeout(() => fail(new Error(`the model worker ${url} did not start within ` +
        `${WORKER_START_TIMEOUT_MS / 1000} s`)), WORKER_START_TIMEOUT_MS);
      worker.onmessage = ({ data }) => {
        if (data?.ready) {
          clearTimeout(timer);
          if (this._pending.size === 0) worker.unref?.();
          resolve();
          return;
        }
        const p = this._pending.get(data?.id);
        if (!p) return;
        if (data.progress) { p.progress?.(data.progress); return; }
        this._pending.delete(data.id);
        if (this._pending.size === 0) worker.unref?.();
        if (data.error) {
          const err = new Error(data.error.message);
          if (data.error.name === 'AbortError') err.name = 'AbortError';
          p.reject(err);
        } else p.resolve(data.result);
      };
      worker.onerror = (e) => { e?.preventDefault?.(); fail(workerError(e, url)); };
      worker.onmessageerror = () => fail(new Error(`the model worker ${url} sent a message that could not be read`));
    });
    this._ready.catch(() => {});  // observed by every call
  }

  /**
   * Posts one call; its id is taken before anything is awaited, so that
   * abort/stop messages sent meanwhile name the right call.
   * @private
   */
  _call(method, args, { transfer = [], progress } = {}) {
    if (this._disposed) return { id: 0, result: Promise.reject(new Error('model was disposed')) };
    const id = this._nextId++;
    const result = this._ready.then(() => new Promise((resolve, reject) => {
      if (this._disposed) { reject(new Error('model was disposed')); return; }
      if (this._failure) { reject(this._failure); return; }
      if (this._pending.size === 0) this._worker.ref?.();
      this._pending.set(id, { resolve, reject, progress });
      try {
        this._worker.postMessage({ id, method, args }, transfer);
      } catch (e) {
        this._pending.delete(id);
        if (this._pending.size === 0) this._worker.unref?.();
        reject(new Error(`${method}: an argument cannot be sent to the model worker (${e?.message ?? e}): ` +
          'pass plain data (numbers, strings, arrays, typed arrays); functions stay on this thread'));
      }
    }));
    return { id, result };
  }

  /** @private Sends a control message about call `target`, if the worker is alive. */
  _control(method, target) {
    if (this._disposed || this._failure) return;
    try { this._worker.postMessage({ id: 0, method, args: [target] }); } catch { /* worker gone */ }
  }

  /** @private Starts a Worker and runs its first call (load or create), honouring `signal`. */
  static async _start(wasmPaths, method, args, { transfer, progress, signal }) {
    if (signal?.aborted) throw abortError(signal);
    const m = new LongShortTransformerWorker(CONSTRUCT, startModelWorker(wasmPaths));
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
    if (this._disposed) return;
    this._disposed = true;
    const err = new Error('model was disposed');
    for (const p of this._pending.values()) p.reject(err);
    this._pending.clear();
    this._worker.terminate();
  }
}

const CONSTRUCT = Symbol('construct');
