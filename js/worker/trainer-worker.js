// TrainerWorker: the Trainer (js/training/trainer.js) in a Worker of its own
// (worker_threads in Node), so that a page stays responsive while it trains:
// run() reports progress events on the caller's thread, and can be paused,
// resumed and stopped between optimiser steps; save() gives the weights as a
// safetensors file, toModel() a LongShortTransformerWorker over them.
import { resolveForWorker } from '#model-worker';
import { describe } from '../config.js';
import { abortError, checkSignal } from '../runtime/abort.js';
import { LongShortTransformerWorker } from './long-short-transformer-worker.js';
import { WorkerConnection } from './worker-connection.js';

const DISPOSED = 'trainer was disposed';

/** Bytes of an ArrayBuffer / view as a Uint8Array copy the Worker may own. */
function copyBytes(b) {
  if (b instanceof ArrayBuffer) return new Uint8Array(b.slice(0));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();
}

/** `data` as it travels to the Worker: text, a bytes copy, { url } or { path }. */
async function postableData(data, fn) {
  if (typeof data === 'string') return data;
  if (data instanceof URL) return { url: data.href };
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return copyBytes(data);
  if (typeof Blob !== 'undefined' && data instanceof Blob) return new Uint8Array(await data.arrayBuffer());
  if (data && typeof data === 'object' && typeof data.path === 'string') return { path: data.path };
  throw new TypeError(`${fn}: data must be text (a string), a Uint8Array / ArrayBuffer, a Blob, a URL or { path } (Node), ` +
    `got ${describe(data)}`);
}

/** `init` as it travels to the Worker: bytes, or a URL string resolved against the page. */
async function postableInit(init, wasmPaths, fn) {
  if (init === undefined || init === null) return undefined;
  if (typeof init === 'object' && typeof init.save === 'function' && typeof init.config === 'object') {
    return init.save({ dtype: 'float32' });   // a LongShortTransformer or LongShortTransformerWorker
  }
  if (typeof Response !== 'undefined' && init instanceof Response) return new Uint8Array(await init.arrayBuffer());
  if (typeof Blob !== 'undefined' && init instanceof Blob) return new Uint8Array(await init.arrayBuffer());
  if (init instanceof ArrayBuffer || ArrayBuffer.isView(init)) return copyBytes(init);
  if (typeof init === 'string' || init instanceof URL) return resolveForWorker(init, wasmPaths).source;
  throw new TypeError(`${fn}: init must be safetensors bytes, a URL or path, a Blob or Response, or a model, got ${describe(init)}`);
}

/**
 * The seed's train.py loop (Trainer) in a Worker. Get one with
 * {@link TrainerWorker.create}; free it with {@link TrainerWorker#dispose}.
 */
export class TrainerWorker {
  /** @private */
  constructor(token, connection) {
    if (token !== CONSTRUCT) throw new Error('use TrainerWorker.create()');
    /** @private */
    this._conn = connection;
    /** @private */
    this._info = null;
    /** @private the run in progress: { id, result } */
    this._run = null;
    /** @private */
    this._paused = false;
  }

  /**
   * A Trainer over `data` in a new Worker: options as for Trainer.create
   * (`init` may also be a LongShortTransformerWorker), plus `signal`, which
   * cancels the start (the Worker is stopped). Rejects with the engine's
   * message on bad options or data (too short for one sequence, ...), with
   * an AbortError when aborted, and a TimeoutError when the Worker does not
   * start within 30 s.
   * @param {import('../index.js').TrainerWorkerOptions} options
   * @returns {Promise<TrainerWorker>}
   */
  static async create(options) {
    const fn = 'TrainerWorker.create';
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new TypeError(`${fn}: options must be an object, got ${describe(options)}`);
    }
    const { signal, data, init, ...rest } = options;
    checkSignal(signal, fn);
    if (signal?.aborted) throw abortError(signal);
    if (data === undefined || data === null) throw new Error(`${fn}: data is required (text, bytes or a URL)`);
    const [postedData, postedInit] = await Promise.all([postableData(data, fn), postableInit(init, rest.wasmPaths, fn)]);
    if (signal?.aborted) throw abortError(signal);
    const { wasmPaths } = resolveForWorker(undefined, rest.wasmPaths);
    const args = { ...rest, data: postedData };
    if (wasmPaths !== undefined) args.wasmPaths = wasmPaths;
    if (postedInit !== undefined) args.init = postedInit;
    const transfer = [postedData, postedInit].filter((b) => b instanceof Uint8Array).map((b) => b.buffer);
    const t = new TrainerWorker(CONSTRUCT, WorkerConnection.start(rest.wasmPaths, { what: 'trainer', disposedMessage: DISPOSED }));
    const call = t._conn.call('trainer.create', [args], { transfer });
    let onAbort;
    const aborted = new Promise((_, reject) => { onAbort = () => reject(abortError(signal)); });
    signal?.addEventListener?.('abort', onAbort, { once: true });
    try {
      t._info = await Promise.race([call.result, aborted]);
    } catch (e) {
      t.dispose();
      if (e?.name !== 'AbortError' && e?.name !== 'TimeoutError' && typeof e?.message === 'string' && !e.message.startsWith(fn)) {
        e.message = `${fn}: ${e.message.replace(/^Trainer\.create: /, '')}`;
      }
      throw e;
    } finally {
      signal?.removeEventListener?.('abort', onAbort);
    }
    return t;
  }

  /** @private */
  _check() {
    if (this._conn.disposed) throw new Error(DISPOSED);
  }

  /** The seed's kwargs of the model being trained. */
  get config() { this._check(); return this._info.config; }
  /** The resolved training options (batch, accum, seq, steps, lr, ...). */
  get options() { this._check(); return this._info.options; }
  /** Which build runs it: `{ variant, threads, backend }`. */
  get runtime() { this._check(); return this._info.runtime; }
  /** Bytes of training and validation data, of one step's memory, and parameters. */
  get sizes() { this._check(); return this._info.sizes; }
  /** Optimiser steps done (as of the latest event or call). */
  get stepsDone() { this._check(); return this._info.stepsDone; }
  /** True while run() is in progress (also when paused). */
  get running() { return this._run !== null; }
  /** True while a run is paused. */
  get paused() { return this._paused; }
  /** True after dispose(). */
  get disposed() { return this._conn.disposed; }

  /**
   * Runs optimiser steps in the Worker (`steps` more, default: up to the
   * `steps` given to create()), with validation every `valid_every` and a
   * sample every `sample_every` steps, reported to `progress_callback` on
   * this thread (kinds 'step', 'valid', 'sample', and 'pause' / 'resume').
   * Settles when the steps are done or the run is stopped (stop(), `signal`,
   * or the callback returning false): finish_reason 'steps', 'stop', 'abort'
   * or 'callback'. Rejects on an engine error (a non-finite loss, ...).
   * @param {import('../index.js').TrainerRunOptions} [options]
   * @returns {Promise<import('../index.js').TrainerWorkerRunResult>}
   */
  async run(options = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`run: options must be an object, got ${describe(options)}`);
    const { progress_callback: cb, signal, ...rest } = options;
    if (cb !== undefined && typeof cb !== 'function') throw new TypeError(`run: progress_callback must be a function, got ${describe(cb)}`);
    checkSignal(signal, 'run');
    this._check();
    if (this._run) throw new Error('run: this trainer is already running');
    let stopped = false;
    const stop = (reason) => {
      if (stopped) return;
      stopped = true;
      this._conn.call('trainer.stop', [reason]).result.catch(() => {});
    };
    const call = this._conn.call('trainer.run', [rest], {
      progress: (e) => {
        if (typeof e.step === 'number') this._info.stepsDone = e.step;
        if (e.kind === 'pause') this._paused = true;
        if (e.kind === 'resume') this._paused = false;
        if (cb && !stopped && cb(e) === false) stop('callback');
      },
    });
    this._run = call;
    const onAbort = () => stop('abort');
    if (signal?.aborted) onAbort();
    signal?.addEventListener?.('abort', onAbort, { once: true });
    try {
      const result = await call.result;
      this._info.stepsDone = result.steps_done;
      return result;
    } finally {
      signal?.removeEventListener?.('abort', onAbort);
      this._run = null;
      this._paused = false;
    }
  }

  /**
   * Pauses the run after its current step (and what is due at that step);
   * resolves once it is paused: `{ paused: true, step }`, or `{ paused: false }`
   * when no run was going or it ended first. run() stays pending.
   * @returns {Promise<{ paused: boolean, step: number }>}
   */
  async pause() {
    this._check();
    if (!this._run) return { paused: false, step: this._info.stepsDone };
    const r = await this._conn.call('trainer.pause', []).result;
    if (r.paused) this._paused = true;
    return r;
  }

  /** Resumes a paused run. @returns {Promise<void>} */
  async resume() {
    this._check();
    if (!this._run) return;
    this._paused = false;
    await this._conn.call('trainer.resume', []).result;
  }

  /**
   * Ends the run after its current step (at once when paused); resolves when
   * it has ended (run() resolves with finish_reason 'stop'). The weights stay.
   * @returns {Promise<void>}
   */
  async stop() {
    this._check();
    const run = this._run;
    if (!run) return;
    await this._conn.call('trainer.stop', ['stop']).result;
    await run.result.catch(() => {});
  }

  /** Loss over the fixed validation windows. @returns {Promise<{ nats: number, bits: number }>} */
  validate() {
    return this._conn.call('trainer.validate', []).result;
  }

  /**
   * `len` bytes sampled with the seed's rule after `prime` (default: validation bytes).
   * @param {number} [len]
   * @param {string|Uint8Array} [prime]
   * @returns {Promise<string>}
   */
  sample(len = 512, prime = undefined) {
    return this._conn.call('trainer.sample', [len, prime ?? null]).result;
  }

  /**
   * The current weights as a safetensors file (seed names, config in
   * __metadata__): loadable by LongShortTransformer(Worker).load and by PyTorch.
   * Works during a run (between steps) and while paused.
   * @param {{ dtype?: 'float32'|'float16' }} [options]
   * @returns {Promise<Uint8Array>}
   */
  save(options = {}) {
    return this._conn.call('trainer.save', [options]).result;
  }

  /**
   * The current weights in a new LongShortTransformerWorker (generate with them at once).
   * @param {import('../index.js').LoadOptions} [options]
   * @returns {Promise<LongShortTransformerWorker>}
   */
  async toModel(options = {}) {
    return LongShortTransformerWorker.load(await this.save({ dtype: 'float32' }), options);
  }

  /** Stops the Worker and frees the trainer (a pending run() rejects). Idempotent. */
  dispose() {
    this._conn.dispose();
  }
}

const CONSTRUCT = Symbol('construct');
