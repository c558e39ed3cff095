// The caller's side of the package's Worker (dist/lst-worker.js in browsers,
// model-worker-node.js in Node): numbered calls { id, method, args } answered
// by { id, result } / { id, error }, { id, progress } while a call runs, and
// control messages that name a running call. Shared by
// LongShortTransformerWorker and TrainerWorker; bounded start: a Worker that
// does not say it is ready within WORKER_START_TIMEOUT_MS fails every call.
import { startModelWorker } from '#model-worker';

/** How long a new Worker may take to say it is ready before load()/create() fail. */
export const WORKER_START_TIMEOUT_MS = 30_000;

/** An Error for a Worker 'error' event: an ErrorEvent, an Error (Node), or a bare Event (a script that did not load). */
function workerError(e, url, what) {
  const detail = e?.message || (e?.filename ? `${e.filename}:${e.lineno}` : '') ||
    'its script could not be loaded or run (not served there, served with a wrong MIME type, or blocked by the ' +
    "page's Cross-Origin-Embedder-Policy)";
  return new Error(`the ${what} worker ${url} failed: ${detail}. If you bundle or host the package yourself, serve ` +
    "dist/lst-worker.js with the other dist/ files and pass { wasmPaths: '<URL of that folder>/' }; or use " +
    `${what === 'model' ? 'LongShortTransformer' : 'Trainer'} on this thread`);
}

/** An Error as the Worker sent it (its message and name). */
function fromWorker(error) {
  const err = new Error(error.message);
  if (error.name === 'AbortError' || error.name === 'TimeoutError') err.name = error.name;
  return err;
}

export class WorkerConnection {
  /**
   * @param {{ worker: any, url: string }} started what startModelWorker returned
   * @param {{ what: 'model'|'trainer', disposedMessage: string }} names for messages
   */
  constructor({ worker, url }, { what, disposedMessage }) {
    this.worker = worker;
    this.url = url;
    this.what = what;
    this.disposedMessage = disposedMessage;
    /** @type {Map<number, { resolve: Function, reject: Function, progress?: Function }>} */
    this.pending = new Map();
    this.nextId = 1;
    this.disposed = false;
    this.failure = null;
    worker.ref?.();  // until the worker says it is ready
    let timer;
    this.ready = new Promise((resolve, reject) => {
      const fail = (err) => {
        clearTimeout(timer);
        this.failure ??= err;
        reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        worker.unref?.();
      };
      timer = setTimeout(() => {
        const err = new Error(`the ${what} worker ${url} did not start within ${WORKER_START_TIMEOUT_MS / 1000} s`);
        err.name = 'TimeoutError';
        fail(err);
      }, WORKER_START_TIMEOUT_MS);
      worker.onmessage = ({ data }) => {
        if (data?.ready) {
          clearTimeout(timer);
          if (this.pending.size === 0) worker.unref?.();
          resolve();
          return;
        }
        const p = this.pending.get(data?.id);
        if (!p) return;
        if (data.progress) { p.progress?.(data.progress); return; }
        this.pending.delete(data.id);
        if (this.pending.size === 0) worker.unref?.();
        if (data.error) p.reject(fromWorker(data.error));
        else p.resolve(data.result);
      };
      worker.onerror = (e) => { e?.preventDefault?.(); fail(workerError(e, url, what)); };
      worker.onmessageerror = () => fail(new Error(`the ${what} worker ${url} sent a message that could not be read`));
    });
    this.ready.catch(() => {});  // observed by every call
  }

  /** Starts the package's Worker (the files under `wasmPaths`, else the package's own). */
  static start(wasmPaths, names) {
    return new WorkerConnection(startModelWorker(wasmPaths), names);
  }

  /**
   * Posts one call; its id is taken before anything is awaited, so that
   * control messages sent meanwhile name the right call.
   * @returns {{ id: number, result: Promise<any> }}
   */
  call(method, args, { transfer = [], progress } = {}) {
    if (this.disposed) return { id: 0, result: Promise.reject(new Error(this.disposedMessage)) };
    const id = this.nextId++;
    const result = this.ready.then(() => new Promise((resolve, reject) => {
      if (this.disposed) { reject(new Error(this.disposedMessage)); return; }
      if (this.failure) { reject(this.failure); return; }
      if (this.pending.size === 0) this.worker.ref?.();
      this.pending.set(id, { resolve, reject, progress });
      try {
        this.worker.postMessage({ id, method, args }, transfer);
      } catch (e) {
        this.pending.delete(id);
        if (this.pending.size === 0) this.worker.unref?.();
        // Not e.message: it quotes the value (a function's whole source).
        reject(new Error(`${method}: an argument cannot be sent to the ${this.what} worker (${e?.name ?? 'DataCloneError'}: ` +
          'it holds a function, a symbol or another value that cannot be copied): pass plain data (numbers, strings, ' +
          'arrays, typed arrays); functions stay on this thread'));
      }
    }));
    return { id, result };
  }

  /** Sends a control message about call `target`, if the worker is alive. */
  control(method, target) {
    if (this.disposed || this.failure) return;
    try { this.worker.postMessage({ id: 0, method, args: [target] }); } catch { /* worker gone */ }
  }

  /** Rejects every pending call and stops the Worker. Idempotent. */
  dispose() {
    if (this.disposed) return;
    this.disposed = true;
    const err = new Error(this.disposedMessage);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.worker.terminate();
  }
}
