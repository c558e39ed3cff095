// Loading and the Worker as a package user meets them: cancellation, the
// bundled model's cache-busting URL, bounded and named failures of the Worker,
// calls that overlap, and the warning past max_seq_len.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { LongShortTransformer, LongShortTransformerWorker, bundledModelUrl, clearModelCache } from '../../js/index.js';
import { FIXTURES, ROOT, SMALL } from './helpers.js';

test('bundledModelUrl carries the file\'s hash, and loads', async () => {
  const bytes = readFileSync(fileURLToPath(bundledModelUrl));
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
  assert.equal(bundledModelUrl.searchParams.get('v'), hash, 'update BUNDLED_MODEL_SHA256 in js/bundled-model.js');
  const m = await LongShortTransformer.load(bundledModelUrl, { threaded: false });
  assert.equal(m.config.num_tokens, 256);
  m.dispose();
});

test('load(): signal, cache and progress_callback options', async () => {
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(LongShortTransformer.load(bundledModelUrl, { signal: ac.signal }), { name: 'AbortError' });
  await assert.rejects(LongShortTransformerWorker.load(bundledModelUrl, { signal: ac.signal }), { name: 'AbortError' });
  const why = new AbortController();
  why.abort(new Error('user left the page'));
  await assert.rejects(LongShortTransformer.load(bundledModelUrl, { signal: why.signal }), /user left the page/);
  await assert.rejects(LongShortTransformer.load(bundledModelUrl, { cache: 'always' }), /cache must be true, false or 'revalidate'/);
  await assert.rejects(LongShortTransformer.load(bundledModelUrl, { progress_callback: 'x' }), /progress_callback must be a function/);
  await assert.rejects(LongShortTransformer.load(bundledModelUrl, { signal: 5 }), /signal must be an AbortSignal/);
  assert.equal(await clearModelCache(), false);  // Node: no Cache API, nothing cached
  // Node reads files directly: cache: false changes nothing.
  const m = await LongShortTransformer.load(bundledModelUrl, { threaded: false, cache: false });
  m.dispose();
});

test('Worker load: abort while loading settles at once; a relative path resolves like on this thread', async () => {
  const ac = new AbortController();
  const t0 = Date.now();
  const pending = LongShortTransformerWorker.load(bundledModelUrl, { signal: ac.signal, threaded: false });
  setTimeout(() => ac.abort(), 5);
  await assert.rejects(pending, { name: 'AbortError' });
  assert.ok(Date.now() - t0 < 5000, `abort took ${Date.now() - t0} ms`);
  const rel = relative(process.cwd(), `${FIXTURES}/v4_c_pad.safetensors`);
  const m = await LongShortTransformerWorker.load(rel, { threaded: false });
  assert.equal(m.config.num_tokens, 64);
  m.dispose();
});

test('Worker: two generations in flight; stopping the second leaves the first running', async () => {
  const m = await LongShortTransformerWorker.create({ ...SMALL, threaded: false, seed: 1 });
  try {
    const ac = new AbortController();
    const first = m.generate([1, 2, 3], { max_new_tokens: 40, seed: 1 });
    const second = m.generate([1, 2, 3], { max_new_tokens: 40, seed: 1, signal: ac.signal });
    ac.abort();
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.finish_reason, 'length');
    assert.equal(a.tokens.length, 40);
    assert.equal(b.finish_reason, 'abort');
    // Long enough (past max_seq_len: every token re-encodes) for the stop to arrive while it runs.
    const third = m.generate([1, 2, 3], { max_new_tokens: 40, seed: 1 });
    const fourth = m.generate([1, 2, 3], { max_new_tokens: 3000, seed: 1, callback: (s) => s.index < 2 });
    const [c, d] = await Promise.all([third, fourth]);
    assert.deepEqual(c.tokens, a.tokens);
    assert.ok(d.tokens.length < 3000, `the callback's false did not stop its own call (${d.tokens.length} tokens)`);
  } finally {
    m.dispose();
  }
});

test('Worker: an option that cannot be sent is a named error, and Node can exit afterwards', () => {
  const script = `
    import { LongShortTransformerWorker } from ${JSON.stringify(`${ROOT}/js/index.js`)};
    const m = await LongShortTransformerWorker.create(${JSON.stringify({ ...SMALL, threaded: false })});
    try { await m.generate([1, 2], { max_new_tokens: 2, mask: () => 1 }); } catch (e) { console.log('error:', e.message); }
    try { await m.forward([1, 2], { dims: [2], extra: () => 1 }); } catch (e) { console.log('error:', e.message); }
    const r = await m.generate([1, 2], { max_new_tokens: 3 });
    console.log('after:', r.tokens.length);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.signal, null, `the process did not exit by itself (${r.signal}): ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 3, r.stdout);
  assert.match(lines[0], /^error: generate: an argument cannot be sent to the model worker .*functions stay on this thread/);
  assert.match(lines[1], /^error: forward: an argument cannot be sent to the model worker/);
  assert.equal(lines[2], 'after: 3');
});

test('past max_seq_len the exact mode warns once; the fast mode does not', async () => {
  const m = await LongShortTransformer.create({ ...SMALL, threaded: false, seed: 2 });
  try {
    const L = m.config.max_seq_len;
    const warned = [];
    const r = await m.generate([1, 2, 3, 4], { max_new_tokens: L + 8, callback: (s) => { if (s.warning) warned.push(s.index); } });
    assert.deepEqual(warned, [L - 4], 'the warning comes with the step after which the context passes max_seq_len');
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0], new RegExp(`passes max_seq_len \\(${L}\\).*about 100x slower.*'reencode'`));
    assert.equal(r.text, '', 'not a byte-level model: text is empty, and present');
    const fast = await m.generate([1, 2, 3, 4], { max_new_tokens: L + 8, context_mode: 'reencode' });
    assert.deepEqual(fast.warnings, []);
    const short = await m.generate([1, 2, 3, 4], { max_new_tokens: L - 4 });
    assert.deepEqual(short.warnings, [], 'a generation that ends at max_seq_len never re-encodes');
  } finally {
    m.dispose();
  }
});

test('evaluate(): the engine\'s held-out loss, the same in the Worker and from lst eval-text\'s windows', async () => {
  const text = readFileSync(`${ROOT}/README.md`, 'utf8').slice(0, 3000);
  const m = await LongShortTransformer.load(bundledModelUrl, { threaded: false });
  const w = await LongShortTransformerWorker.load(bundledModelUrl, { threaded: false });
  try {
    const e = m.evaluate(text);
    assert.equal(e.bytes, new TextEncoder().encode(text).length);
    assert.ok(e.nats_per_byte > 0.5 && e.nats_per_byte < 5.6, `${e.nats_per_byte} nats/byte`);
    assert.ok(Math.abs(e.bits_per_byte - e.nats_per_byte / Math.LN2) < 1e-12);
    assert.deepEqual(await w.evaluate(text), e);
    const shorter = m.evaluate(new TextEncoder().encode(text), { seq: 64 });
    assert.notEqual(shorter.nats_per_byte, e.nats_per_byte, 'seq changes the windows');
    assert.throws(() => m.evaluate('x'), /evaluate: evaluation data needs at least 2 bytes/);
    assert.throws(() => m.evaluate(text, { seq: 0 }), /seq must be an integer/);
    assert.throws(() => m.evaluate(5), /data must be a string/);
    // After the errors: the same figure again.
    assert.deepEqual(m.evaluate(text), e);
  } finally {
    m.dispose();
    w.dispose();
  }
});

test('a download that cannot connect says why (fetch failed carries its cause)', async () => {
  // A port of this machine that was just free: nothing listens there.
  const { createServer } = await import('node:net');
  const probe = createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address();
  await new Promise((r) => probe.close(r));
  await assert.rejects(LongShortTransformer.load(`http://127.0.0.1:${port}/model.safetensors`, { threaded: false }),
    /could not fetch 'http:\/\/127\.0\.0\.1:\d+\/model\.safetensors': fetch failed \((connect )?ECONNREFUSED/);
});
