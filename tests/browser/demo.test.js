// The web demo (web-demo/) in headless Chromium, served by scripts/serve-demo.mjs
// with the cross-origin isolation headers (threaded build) and without
// (single-threaded build): the bundled model loads, text streams in, Stop
// stops, bad files give an error and the page keeps working, the attention
// panel draws the engine's weights, and nothing logs an error. Prints the time
// from page load to the first generated character and tokens/s, and saves
// screenshots in test-output/.   Run: npm run test:browser
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { launchChromium, serveRepo, skipReason, watchErrors } from './chromium.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MODEL = join(ROOT, 'models/tinyshakespeare.safetensors');
const OUT = join(ROOT, 'test-output');
const PROMPT = 'ROMEO:\n';
const skip = skipReason;

let browser;
before(async () => {
  if (skip) return;
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** What the page shows, in one round trip. */
function snapshot(page) {
  return page.evaluate(() => {
    const $ = (id) => document.getElementById(id);
    const canvas = $('attention-canvas');
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let inked = 0;
    let hash = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] < 245 || data[i + 1] < 245 || data[i + 2] < 245) inked++;
      hash = (Math.imul(hash, 31) + data[i] + 3 * data[i + 1] + 7 * data[i + 2]) | 0;
    }
    const s = window.demo?.state;
    return {
      length: $('output-generated').textContent.length,
      text: $('output-prompt').textContent + $('output-generated').textContent,
      done: Boolean(s?.lastResult),
      generating: Boolean(s?.generating),
      loading: Boolean(s?.loading),
      error: $('error').hidden ? '' : $('error').textContent,
      status: $('model-status').textContent,
      finish: $('finish').textContent,
      generateDisabled: $('generate').disabled,
      stopDisabled: $('stop').disabled,
      canvas: { inked, hash },
    };
  });
}

/** Polls until `until(snapshot)`; returns every snapshot taken. */
async function watch(page, until, { every = 80, timeout = 120_000 } = {}) {
  const shots = [];
  const end = Date.now() + timeout;
  for (;;) {
    const s = await snapshot(page);
    shots.push(s);
    if (until(s)) return shots;
    if (Date.now() > end) throw new Error(`timed out; last state: ${JSON.stringify({ ...s, text: s.text.slice(-80) })}`);
    await sleep(every);
  }
}

async function generateOnce(page, { length, contextMode = 'exact' } = {}) {
  if (length !== undefined) await page.fill('#length', String(length));
  await page.selectOption('#context-mode', contextMode);
  await page.click('#generate');
  await page.waitForFunction(() => window.demo.state.generating !== null || window.demo.state.lastResult !== null);
  return watch(page, (s) => !s.generating && !s.generateDisabled);
}

/** Gives the page a file through its file input, or by dropping it (`drop`). */
async function pickFile(page, name, buffer, { drop = false } = {}) {
  const before = await page.evaluate(() => window.demo.state.loadAttempts);
  if (drop) {
    const dataTransfer = await page.evaluateHandle(({ b64, fileName }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], fileName));
      return dt;
    }, { b64: buffer.toString('base64'), fileName: name });
    await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer });
  } else {
    await page.setInputFiles('#file-input', { name, mimeType: 'application/octet-stream', buffer });
  }
  await page.waitForFunction((n) => window.demo.state.loadAttempts > n, before);
  return snapshot(page);
}

async function runDemo(isolated) {
  assert.ok(existsSync(MODEL), 'models/tinyshakespeare.safetensors (the bundled model) is missing');
  const server = await serveRepo({ isolation: isolated });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors = watchErrors(page);
  const build = isolated ? 'threaded' : 'single';
  try {
    // 1. Load the bundled model and write from a prompt as soon as it is ready.
    await page.goto(`${server.origin}/web-demo/?autostart=1&length=400&prompt=${encodeURIComponent(PROMPT)}`);
    const shots = await watch(page, (s) => s.done || s.error !== '');
    const last = shots.at(-1);
    assert.equal(last.error, '', `the page shows an error: ${last.error}`);
    assert.ok(last.text.startsWith(PROMPT), 'the output starts with the prompt');
    assert.ok(last.length >= 200, `generated only ${last.length} characters`);
    assert.match(last.finish, /done: 400 tokens/);

    // 2. The build in use: threaded only with cross-origin isolation.
    const info = await page.evaluate(() => ({
      isolated: globalThis.crossOriginIsolated,
      variant: document.getElementById('stat-build').dataset.variant,
      simd: document.getElementById('stat-build').dataset.simd,
      label: document.getElementById('stat-build').textContent,
      runtime: document.getElementById('runtime-info').textContent,
      timings: window.demo.timings,
      stats: window.demo.state.lastStats,
    }));
    assert.equal(info.isolated, isolated);
    assert.equal(info.variant, build);
    // Chromium runs relaxed SIMD, so the demo uses that build (docs/RELAXED_SIMD.md).
    assert.equal(info.simd, 'relaxed');
    assert.match(info.label, isolated ? /^threaded ×\d+, relaxed SIMD$/ : /^single-threaded, relaxed SIMD$/);
    assert.match(info.runtime, /WebAssembly relaxed SIMD/);
    // Time to first token, per generation (from Generate), not from page load.
    const firstShown = await page.textContent('#stat-first');
    assert.match(firstShown, /^\d+ ms$/);
    assert.ok(info.timings.firstToken > 0 && info.timings.firstToken < 30_000, `first token after ${info.timings.firstToken} ms`);

    // 3. It streams (the text grows over time) and the attention panel draws
    // and changes from token to token: sampled at every animation frame of a
    // second generation.
    await page.evaluate(() => {
      const canvas = document.getElementById('attention-canvas');
      const ctx = canvas.getContext('2d');
      const out = document.getElementById('output-generated');
      const samples = [];
      window.samples = samples;
      const sample = () => {
        const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
        let inked = 0;
        let hash = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i] < 245 || data[i + 1] < 245 || data[i + 2] < 245) inked++;
          hash = (Math.imul(hash, 31) + data[i] + 3 * data[i + 1] + 7 * data[i + 2]) | 0;
        }
        samples.push({ t: performance.now(), length: out.textContent.length, inked, hash, generating: window.demo.state.generating !== null });
        if (!window.stopSampling) requestAnimationFrame(sample);
      };
      requestAnimationFrame(sample);
    });
    await page.fill('#seed', '1');
    // Long enough to span many frames on a busy machine (auto mode: fast past max_seq_len).
    const second = (await generateOnce(page, { length: 1500, contextMode: 'auto' })).at(-1);
    const samples = await page.evaluate(() => { window.stopSampling = true; return window.samples; });
    assert.equal(second.error, '');
    assert.ok(second.length >= 200, `generated only ${second.length} characters`);
    const during = samples.filter((x) => x.generating && x.length > 0);
    const lengths = [...new Set(during.map((x) => x.length))];
    assert.ok(lengths.length >= 3, `text seen at only ${lengths.length} lengths while generating (${lengths})`);
    assert.ok(lengths[0] < second.length, 'text appeared before the end');
    for (let i = 1; i < during.length; i++) assert.ok(during[i].length >= during[i - 1].length, 'the text never shrinks');
    const drawn = new Set(during.filter((x) => x.inked > 2000).map((x) => x.hash));
    assert.ok(drawn.size >= 2, `the attention canvas changed ${Math.max(0, drawn.size - 1)} times while generating`);
    assert.ok(second.canvas.inked > 2000, `the attention canvas is nearly blank (${second.canvas.inked} inked pixels)`);
    assert.match(await page.textContent('#attention-summary'), /global token.*local window/);
    console.log(`demo ${build}: ${lengths.length} text lengths and ${drawn.size} attention pictures seen in ` +
      `${during.length} frames while generating`);

    mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: join(OUT, isolated ? 'demo.png' : 'demo-single.png'), fullPage: true });
    console.log(`demo ${build}: first character ${(info.timings.firstChar / 1000).toFixed(2)} s after page load ` +
      `(model ready at ${(info.timings.modelReady / 1000).toFixed(2)} s); ${info.stats.tokens_per_second.toFixed(1)} tokens/s ` +
      `over ${info.stats.tokens} tokens with attention recorded (engine ${info.stats.compute_ms_per_token.toFixed(2)} ms/token)`);

    // 4. Past max_seq_len: said before the run; 'auto' runs it in the fast mode, 'exact' is one click away.
    await page.fill('#length', '20000');
    await page.selectOption('#context-mode', 'exact');
    const maxSeqLen = await page.evaluate(() => window.demo.state.model.config.max_seq_len);
    assert.match(await page.textContent('#context-note'), new RegExp(`passes max_seq_len \\(${maxSeqLen}\\).*about 100x slower`));
    await page.selectOption('#context-mode', 'auto');
    assert.match(await page.textContent('#context-note'), /runs in the fast re-encode mode.*Choose "exact"/);
    await page.fill('#length', '100');
    assert.equal(await page.isVisible('#context-note'), false, 'no note for a run within max_seq_len');
    await page.fill('#length', '20000');

    // 5. Stop stops: the text stops growing and the buttons reset ('auto' mode: fast past max_seq_len).
    await page.click('#generate');
    await watch(page, (s) => s.length >= 60);
    assert.equal((await snapshot(page)).stopDisabled, false, 'Stop is enabled while generating');
    await page.click('#stop');
    const stopped = (await watch(page, (s) => !s.generating && !s.generateDisabled)).at(-1);
    await sleep(600);
    const later = await snapshot(page);
    assert.equal(later.length, stopped.length, 'no text after Stop');
    assert.ok(later.length < 20000, 'it stopped before the end');
    assert.equal(later.stopDisabled, true, 'Stop is disabled again');
    assert.equal(later.generateDisabled, false, 'Generate is enabled again');
    assert.match(later.finish, /^stopped after \d+ tokens$/);
    assert.equal(later.finish, `stopped after ${await page.textContent('#stat-tokens')} tokens`, 'the counter agrees with the status');
    assert.equal(await page.evaluate(() => window.demo.state.lastContextMode), 'reencode', "'auto' chose the fast mode");
    assert.equal(await page.evaluate(() => window.demo.state.lastResult?.finish_reason), 'abort');

    // 6. Bad files: an error naming the file; the loaded model keeps working.
    const garbage = Buffer.alloc(4096);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 2654435761) >>> 24;
    for (const [name, bytes] of [
      ['garbage.safetensors', garbage],
      ['truncated.safetensors', readFileSync(MODEL).subarray(0, 100_000)],
      ['notes.txt', Buffer.from('not a model\n')],
    ]) {
      const s = await pickFile(page, name, bytes);
      assert.ok(s.error.startsWith(`Could not load ${name}: `), `error for ${name}: ${JSON.stringify(s.error)}`);
      assert.equal(s.status, 'Still using tinyshakespeare.safetensors');
      assert.equal(s.generateDisabled, false);
    }
    const again = (await generateOnce(page, { length: 250 })).at(-1);
    assert.equal(again.error, '', 'the error clears on the next generation');
    assert.ok(again.length >= 200, `generated only ${again.length} characters after the bad files`);
    assert.match(again.finish, /done: 250 tokens/);

    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await page.close();
    await server.close();
  }
}

test('web demo, cross-origin isolated: threaded build', { skip, timeout: 300_000 }, () => runDemo(true));

test('web demo, no isolation headers: single-threaded build', { skip, timeout: 300_000 }, () => runDemo(false));

test('web demo: ?simd=simd128 forces the SIMD128 build, and the page says so', { skip, timeout: 120_000 }, async () => {
  const server = await serveRepo({ isolation: false });
  const page = await browser.newPage();
  const errors = watchErrors(page);
  try {
    await page.goto(`${server.origin}/web-demo/?simd=simd128`);
    await page.waitForFunction(() => window.demo?.state.model || !document.getElementById('error').hidden, null, { timeout: 60_000 });
    const r = await page.evaluate(() => ({
      error: document.getElementById('error').hidden ? '' : document.getElementById('error').textContent,
      simd: document.getElementById('stat-build').dataset.simd,
      label: document.getElementById('stat-build').textContent,
    }));
    assert.equal(r.error, '');
    assert.equal(r.simd, 'simd128');
    assert.equal(r.label, 'single-threaded, SIMD128');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
    await server.close();
  }
});

test('web demo: weights from the PyTorch package dropped on the page (a golden fixture, token ids)', { skip, timeout: 120_000 }, async () => {
  const server = await serveRepo({ isolation: false });
  const page = await browser.newPage();
  const errors = watchErrors(page);
  try {
    await page.goto(`${server.origin}/web-demo/`);
    await page.waitForFunction(() => window.demo?.state.model && !window.demo.state.loading);
    const textPrompt = await page.inputValue('#prompt');
    const fixture = readFileSync(join(ROOT, 'tests/fixtures/v7_c_gen.safetensors'));
    // A token-id model gets a token-id prompt, and the bundled model gets the text back.
    assert.equal((await pickFile(page, 'v7_c_gen.safetensors', fixture)).error, '');
    assert.equal(await page.inputValue('#prompt'), '0');
    await page.click('#load-bundled');
    await page.waitForFunction(() => document.getElementById('model-status').textContent.startsWith('Ready: tinyshakespeare.safetensors'));
    assert.equal(await page.inputValue('#prompt'), textPrompt);
    const s = await pickFile(page, 'v7_c_gen.safetensors', fixture, { drop: true });
    assert.equal(s.error, '');
    assert.equal(s.status, 'Ready: v7_c_gen.safetensors');
    assert.match(await page.textContent('#model-info'), /64 \(token ids\)/);
    await page.fill('#prompt', '1 2 3');
    const done = (await generateOnce(page, { length: 30 })).at(-1);
    assert.equal(done.error, '');
    const ids = done.text.trim().split(/\s+/).map(Number);
    assert.equal(ids.length, 33);
    assert.ok(ids.every((t) => Number.isInteger(t) && t >= 0 && t < 64));
    // And back to the bundled model.
    await page.click('#load-bundled');
    await page.waitForFunction(() => document.getElementById('model-status').textContent.startsWith('Ready: tinyshakespeare.safetensors'));
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
    await server.close();
  }
});
