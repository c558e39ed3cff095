// Starts the model worker in a browser: the prebuilt dist/lst-worker.js, as
// a module Worker. The literal `new Worker(new URL(...))` is the pattern
// Vite and webpack recognise: they bundle the worker and rewrite its URL.
// Everything posted to it is resolved here first, against the page, since
// the worker's own URL (an asset or blob: URL) means nothing to the caller.
import { resolveUrl } from '#platform';
import { MODEL_WORKER_FILE, resolveAllBrowserFiles, resolveWasmFile } from '../runtime/wasm-files.js';

function namesWorker(wasmPaths) {
  if (wasmPaths === undefined || wasmPaths === null) return false;
  return typeof wasmPaths !== 'object' || wasmPaths instanceof URL || wasmPaths[MODEL_WORKER_FILE] !== undefined;
}

/** @returns {{ worker: Worker, url: string }} */
export function startModelWorker(wasmPaths) {
  if (namesWorker(wasmPaths)) {
    const url = resolveWasmFile(MODEL_WORKER_FILE, wasmPaths);
    return { worker: new Worker(url, { type: 'module' }), url: url.href };
  }
  const worker = new Worker(new URL('../../dist/lst-worker.js', import.meta.url), { type: 'module' });
  return { worker, url: 'lst-worker.js (bundled with the page)' };
}

/**
 * The model source and build-file URLs as absolute URL strings of the page.
 * @returns {{ source: any, wasmPaths: Record<string, string> }}
 */
export function resolveForWorker(source, wasmPaths) {
  const src = source instanceof URL ? source.href : typeof source === 'string' ? resolveUrl(source).href : source;
  return { source: src, wasmPaths: resolveAllBrowserFiles(wasmPaths) };
}
