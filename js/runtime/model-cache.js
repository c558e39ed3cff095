// Model files downloaded in a browser are kept in the Cache API (one cache,
// MODEL_CACHE_NAME), keyed by their absolute URL; each entry keeps the
// server's validators (ETag / Last-Modified) so that `cache: 'revalidate'`
// can ask the server whether the file changed. Node reads files directly and
// has no such cache. Failures of the cache (quota, private mode) never fail a
// load: the file is then just downloaded.

export const MODEL_CACHE_NAME = 'long-short-transformer-models-v1';

/** The absolute URL of a source, when it is an http(s) URL and the Cache API exists here. */
export function cacheKey(source) {
  if (typeof caches === 'undefined') return null;
  try {
    const url = new URL(String(source), globalThis.location?.href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** @returns {Promise<Response|null>} the stored response for `key` */
export async function cachedResponse(key) {
  try {
    const cache = await caches.open(MODEL_CACHE_NAME);
    return (await cache.match(key)) ?? null;
  } catch {
    return null;
  }
}

/** Stores the downloaded `bytes` of `response` under `key` (best effort). */
export async function storeResponse(key, response, bytes) {
  try {
    const headers = new Headers({ 'content-length': String(bytes.length) });
    for (const h of ['content-type', 'etag', 'last-modified']) {
      const v = response.headers.get(h);
      if (v) headers.set(h, v);
    }
    const cache = await caches.open(MODEL_CACHE_NAME);
    await cache.put(key, new Response(bytes, { status: 200, headers }));
  } catch { /* quota or a private window: not cached */ }
}

/**
 * Removes cached model downloads: the one of `url`, or all of them.
 * @param {string|URL} [url]
 * @returns {Promise<boolean>} whether anything was removed
 */
export async function clearModelCache(url) {
  if (typeof caches === 'undefined') return false;
  if (url === undefined) return caches.delete(MODEL_CACHE_NAME);
  const key = cacheKey(url);
  if (!key) return false;
  const cache = await caches.open(MODEL_CACHE_NAME);
  return cache.delete(key);
}
