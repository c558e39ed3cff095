// Headless Chromium: the package's browser half (fetch, ES-module glue,
// cross-origin isolation) with both builds, on a golden case. Served on
// 127.0.0.1 with COOP/COEP (threaded) and without (single-threaded only).
// Needs Debian's chromium and the devDependency playwright-core; skipped
// without them.  Run: npm run test:browser
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env.LST_CHROMIUM ?? '/usr/bin/chromium';
let playwright = null;
try {
  playwright = await import('playwright-core');
} catch { /* skipped below */ }
const skip = !playwright ? 'playwright-core not installed (npm install)' : !existsSync(CHROMIUM) ? `no ${CHROMIUM}` : false;

const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
const PAGE = `<!doctype html>
<script type="importmap">{"imports": {"#platform": "/js/runtime/platform-browser.js", "#model-worker": "/js/worker/start-worker-browser.js"}}</script>
<script type="module">
import { LongShortTransformer, LongShortTransformerWorker, SafetensorsFile, clearModelCache } from '/js/index.js';
window.runCase = async (options) => {
  const url = '/tests/fixtures/v4_c_pad.safetensors';
  const file = new SafetensorsFile(new Uint8Array(await (await fetch(url)).arrayBuffer()));
  const tokens = file.get('input.tokens');
  const expected = file.get('output.logits').data;
  const events = [];
  const model = await LongShortTransformer.load(url, { ...options, progress_callback: (e) => events.push(e.status) });
  const { data } = model.forward(tokens.data, { dims: tokens.dims });
  let err = 0;
  for (let i = 0; i < data.length; i++) err = Math.max(err, Math.abs(data[i] - expected[i]));
  let message = '';
  try { model.forward([1, 2, 999]); } catch (e) { message = e.message; }
  const again = model.forward([1, 2, 3]).dims;
  const runtime = model.runtime;
  model.dispose();
  return { err, runtime, message, again, events, isolated: crossOriginIsolated };
};
window.tryLoad = async (options) => {
  try { await LongShortTransformer.create({ num_tokens: 10, dim: 8, depth: 1, max_seq_len: 8, heads: 1, dim_head: 8, window_size: 4, ...options }); return 'no error'; }
  catch (e) { return e.message; }
};
window.failures = async () => {
  const url = '/tests/fixtures/v4_c_pad.safetensors';
  const out = {};
  const timed = async (name, f) => {
    const t0 = performance.now();
    try { await f(); out[name] = { message: 'no error' }; } catch (e) { out[name] = { message: String(e?.message ?? e) }; }
    out[name].ms = performance.now() - t0;
  };
  // A pthread worker whose script (the classic glue) is not served.
  await timed('pthread', () => LongShortTransformer.load(url, { threaded: true, threads: 2, cache: false,
    wasmPaths: { 'lst-threaded.js': '/nowhere/lst-threaded.js', 'lst-threaded-relaxed.js': '/nowhere/lst-threaded-relaxed.js' } }));
  // The model Worker's own script is not served.
  await timed('worker', () => LongShortTransformerWorker.load(url, { wasmPaths: '/nowhere/' }));
  // A URL relative to this page, given to the Worker class.
  await timed('relative', async () => (await LongShortTransformerWorker.load('tests/fixtures/v4_c_pad.safetensors')).dispose());
  // The Cache API (the Worker shares it): cleared, then a download is stored and read back.
  await clearModelCache();
  const cachedOf = async (options) => {
    const events = [];
    const m = await LongShortTransformer.load(url, { ...options, threaded: false, progress_callback: (e) => events.push(e) });
    m.dispose();
    return events.some((e) => e.cached === true);
  };
  out.cache = [await cachedOf({}), await cachedOf({}), await cachedOf({ cache: false }), await cachedOf({ cache: 'revalidate' })];
  out.cleared = await clearModelCache(url);
  out.cache.push(await cachedOf({}));
  return out;
};
window.ready = true;
</script>`;

let browser, server;
async function open(isolated) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.log(`# pageerror: ${e.message}`));
  await page.goto(`http://127.0.0.1:${server.address().port}/${isolated ? 'isolated' : 'plain'}.html`);
  await page.waitForFunction(() => window.ready === true);
  return page;
}

before(async () => {
  if (skip) return;
  server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const isolated = !path.startsWith('/plain') && req.headers.referer?.includes('/plain') !== true;
    let body;
    if (path === '/isolated.html' || path === '/plain.html') body = PAGE;
    else {
      try { body = await readFile(join(ROOT, path)); } catch { res.writeHead(404).end(); return; }
    }
    const headers = { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' };
    if (isolated) Object.assign(headers, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
    res.writeHead(200, headers).end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  browser = await playwright.chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    // (playwright gives the browser a fresh temporary profile of its own)
  });
});
after(async () => {
  await browser?.close();
  server?.close();
});

test('cross-origin isolated page: every build (threads x relaxed SIMD / SIMD128) passes the golden case', { skip, timeout: 180_000 }, async () => {
  const page = await open(true);
  // Chromium runs relaxed SIMD: it is the default there, and simd: 'simd128' forces the other build.
  for (const [options, variant, simd] of [[{ threaded: false }, 'single', 'relaxed'], [{}, 'threaded', 'relaxed'],
    [{ threaded: true, threads: 2 }, 'threaded', 'relaxed'], [{ threaded: false, simd: 'simd128' }, 'single', 'simd128'],
    [{ threaded: true, threads: 2, simd: 'simd128' }, 'threaded', 'simd128'], [{ threaded: false, simd: 'relaxed' }, 'single', 'relaxed']]) {
    const r = await page.evaluate((o) => window.runCase(o), options);
    console.log(`# browser ${variant} ${simd} ${JSON.stringify(options)} max_abs_err ${r.err}`);
    assert.equal(r.isolated, true);
    assert.equal(r.runtime.variant, variant);
    assert.equal(r.runtime.simd, simd);
    assert.ok(r.err <= 5e-5, `max abs error ${r.err}`);
    assert.equal(r.message, 'token id 999 at [0, 2] is out of range [0, 64)');
    assert.deepEqual(r.again, [1, 3, 64]);
    assert.equal(r.events.at(-1), 'done');
  }
  await page.close();
});

test('page without isolation: single-threaded build, actionable error for threads', { skip, timeout: 120_000 }, async () => {
  const page = await open(false);
  const r = await page.evaluate(() => window.runCase({}));
  assert.equal(r.isolated, false);
  assert.equal(r.runtime.variant, 'single');
  assert.ok(r.err <= 5e-5);
  assert.match(await page.evaluate(() => window.tryLoad({ threaded: true })), /cross-origin isolated/);
  assert.match(await page.evaluate(() => window.tryLoad({ wasmPaths: '/nowhere/' })), /could not (load|fetch) the WebAssembly .*nowhere.*wasmPaths/);
  await page.close();
});

test('failures are bounded and named; Worker URLs resolve against the page; the model cache', { skip, timeout: 120_000 }, async () => {
  const page = await open(true);
  const r = await page.evaluate(() => window.failures());
  console.log(`# browser failures: ${JSON.stringify(r)}`);
  assert.match(r.pthread.message, /worker thread of the threaded build failed to start.*Cross-Origin-Embedder-Policy.*threaded: false/);
  assert.match(r.worker.message, /the model worker .*nowhere\/lst-worker\.js failed: its script could not be loaded.*wasmPaths/);
  assert.doesNotMatch(r.worker.message, /object Event/);
  for (const k of ['pthread', 'worker']) assert.ok(r[k].ms < 30_000, `${k} took ${r[k].ms} ms`);
  assert.equal(r.relative.message, 'no error');
  // first load downloads, second reads the cache, cache: false downloads, 'revalidate' gets a 304-less
  // server (no validators) and downloads; after clearModelCache() the next load downloads again.
  assert.deepEqual(r.cache, [false, true, false, false, false]);
  assert.equal(r.cleared, true);
  await page.close();
});
