// Turns what load() accepts (URL, path, bytes, Response, Blob) into bytes,
// reporting download progress; in browsers, downloads are kept in the Cache
// API (model-cache.js) so that the next page load reads them from there.
import { isLocalSource, readLocalFile } from '#platform';
import { fetchFailure } from './fetch-failure.js';
import { throwIfAborted } from './abort.js';
import { cacheKey, cachedResponse, storeResponse } from './model-cache.js';

/**
 * @typedef {{ status: 'initiate'|'progress'|'done', name: string, loaded?: number, total?: number,
 *             progress?: number, cached?: boolean }} ProgressInfo
 * @typedef {(info: ProgressInfo) => void} ProgressCallback
 * @typedef {{ signal?: AbortSignal|null, cache?: boolean|'revalidate' }} ReadOptions
 */

/**
 * @param {string|URL|ArrayBuffer|ArrayBufferView|Response|Blob} source
 * @param {ProgressCallback|undefined} progress
 * @param {ReadOptions} [options]
 * @returns {Promise<Uint8Array>}
 */
export async function readSource(source, progress, { signal = null, cache = true } = {}) {
  throwIfAborted(signal);
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && source instanceof SharedArrayBuffer)) {
    return new Uint8Array(source);
  }
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (typeof Response !== 'undefined' && source instanceof Response) {
    return readResponse(source, source.url || 'response', progress, signal, false);
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) return new Uint8Array(await source.arrayBuffer());
  if (typeof source === 'string' || source instanceof URL) {
    const name = String(source);
    if (isLocalSource(source)) {
      progress?.({ status: 'initiate', name });
      const bytes = await readLocalFile(source);
      progress?.({ status: 'progress', name, loaded: bytes.length, total: bytes.length, progress: 100 });
      progress?.({ status: 'done', name });
      return bytes;
    }
    const key = cache !== false ? cacheKey(source) : null;
    const stored = key ? await cachedResponse(key) : null;
    throwIfAborted(signal);
    if (stored && cache !== 'revalidate') {
      progress?.({ status: 'initiate', name, cached: true });
      return readResponse(stored, name, progress, signal, true);
    }
    progress?.({ status: 'initiate', name });
    const headers = {};
    const etag = stored?.headers.get('etag');
    const modified = stored?.headers.get('last-modified');
    if (etag) headers['if-none-match'] = etag;
    else if (modified) headers['if-modified-since'] = modified;
    let response;
    try {
      response = await fetch(source, { signal: signal ?? undefined, headers });
    } catch (e) {
      throwIfAborted(signal);
      throw new Error(`could not fetch '${name}': ${fetchFailure(e)}`);
    }
    if (response.status === 304 && stored) return readResponse(stored, name, progress, signal, true);
    if (!response.ok) throw new Error(`could not fetch '${name}': HTTP ${response.status} ${response.statusText}`);
    const bytes = await readResponse(response, name, progress, signal, false);
    if (key) await storeResponse(key, response, bytes);
    return bytes;
  }
  throw new TypeError('load() takes a URL, a file path (Node), an ArrayBuffer, a Uint8Array, a Response or a Blob');
}

/**
 * Reads a Response body, streaming it when it has one so that `progress`
 * sees each chunk (total from content-length when present).
 */
async function readResponse(response, name, progress, signal, cached) {
  if (!response.ok) throw new Error(`could not fetch '${name}': HTTP ${response.status} ${response.statusText}`);
  const total = Number(response.headers.get('content-length')) || 0;
  const extra = cached ? { cached: true } : {};
  if (!response.body || !progress) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    throwIfAborted(signal);
    progress?.({ status: 'progress', name, loaded: bytes.length, total: bytes.length, progress: 100, ...extra });
    progress?.({ status: 'done', name, ...extra });
    return bytes;
  }
  const reader = response.body.getReader();
  let buffer = new Uint8Array(total || 1 << 20);
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (signal?.aborted) {
      reader.cancel().catch(() => {});
      throwIfAborted(signal);
    }
    if (loaded + value.length > buffer.length) {
      const bigger = new Uint8Array(Math.max(buffer.length * 2, loaded + value.length));
      bigger.set(buffer.subarray(0, loaded));
      buffer = bigger;
    }
    buffer.set(value, loaded);
    loaded += value.length;
    progress({ status: 'progress', name, loaded, total, progress: total ? Math.min(100, (100 * loaded) / total) : undefined, ...extra });
  }
  progress({ status: 'done', name, ...extra });
  return loaded === buffer.length ? buffer : buffer.subarray(0, loaded);
}
