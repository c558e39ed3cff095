// Starts the model worker in Node: a worker_threads Worker, behind the small
// browser-like interface LongShortTransformerWorker uses.
import { Worker } from 'node:worker_threads';

/** @returns {{ worker: object, url: string }} */
export function startModelWorker() {
  const url = new URL('./model-worker-node.js', import.meta.url);
  // Not the caller's --input-type / --eval flags: they would apply to the worker's entry file.
  const execArgv = process.execArgv.filter((a) => !/^--(input-type|eval|print)\b/.test(a) && a !== '-e' && a !== '-p');
  const w = new Worker(url, { execArgv });
  w.unref();
  const adapter = {
    onmessage: null,
    onerror: null,
    postMessage: (msg, transfer) => w.postMessage(msg, transfer),
    terminate: () => { w.terminate(); },
    // Keep Node alive only while a call is pending.
    ref: () => w.ref(),
    unref: () => w.unref(),
  };
  w.on('message', (data) => adapter.onmessage?.({ data }));
  w.on('error', (e) => adapter.onerror?.(e));
  w.on('exit', (code) => adapter.onerror?.(new Error(`the model worker exited (code ${code})`)));
  return { worker: adapter, url: url.href };
}

/** Node workers share the process's working directory: paths and file: URLs mean the same there. */
export function resolveForWorker(source, wasmPaths) {
  return { source: source instanceof URL ? source.href : source, wasmPaths: wasmPaths instanceof URL ? wasmPaths.href : wasmPaths };
}
