// Turns what load() accepts (URL, path, bytes, Response, Blob) into bytes,
// reporting download progress.
import { isLocalSource, readLocalFile } from '#platform';

/**
 * @typedef {{ status: 'initiate'|'progress'|'done', name: string, loaded?: number, total?: number, progress?: number }} ProgressInfo
 * @typedef {(info: ProgressInfo) => void} ProgressCallback
 */

/**
 * @param {string|URL|ArrayBuffer|ArrayBufferView|Response|Blob} source
 * @param {ProgressCallback|undefined} progress
 * @returns {Promise<Uint8Array>}
 */
export async function readSource(source, progress) {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && source instanceof SharedArrayBuffer)) {
    return new Uint8Array(source);
  }
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (typeof Response !== 'undefined' && source instanceof Response) return readResponse(source, source.url || 'response', progress);
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
    progress?.({ status: 'initiate', name });
    let response;
    try {
      response = await fetch(source);
    } catch (e) {
      throw new Error(`could not fetch '${name}': ${e.message}`);
    }
    if (!response.ok) throw new Error(`could not fetch '${name}': HTTP ${response.status} ${response.statusText}`);
    return readResponse(response, name, progress);
  }
  throw new TypeError('load() takes a URL, a file path (Node), an ArrayBuffer, a Uint8Array, a Response or a Blob');
}

/**
 * Reads a Response body, streaming it when it has one so that `progress`
 * sees each chunk (total from content-length when present).
 */
async function readResponse(response, name, progress) {
  if (!response.ok) throw new Error(`could not fetch '${name}': HTTP ${response.status} ${response.statusText}`);
  const total = Number(response.headers.get('content-length')) || 0;
  if (!response.body || !progress) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    progress?.({ status: 'progress', name, loaded: bytes.length, total: bytes.length, progress: 100 });
    progress?.({ status: 'done', name });
    return bytes;
  }
  const reader = response.body.getReader();
  let buffer = new Uint8Array(total || 1 << 20);
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (loaded + value.length > buffer.length) {
      const bigger = new Uint8Array(Math.max(buffer.length * 2, loaded + value.length));
      bigger.set(buffer.subarray(0, loaded));
      buffer = bigger;
    }
    buffer.set(value, loaded);
    loaded += value.length;
    progress({ status: 'progress', name, loaded, total, progress: total ? Math.min(100, (100 * loaded) / total) : undefined });
  }
  progress({ status: 'done', name });
  return loaded === buffer.length ? buffer : buffer.subarray(0, loaded);
}
