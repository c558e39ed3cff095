// The web demo's "Teach it your text" panel and long run, in headless
// Chromium (served by scripts/serve-demo.mjs): fine-tuning in a Worker of its
// own lowers the held-out loss of a short text while the page stays
// responsive, the generated text changes with the new weights, the downloaded
// .safetensors loads back with the same logits, Pause / Resume / Stop act
// between steps (and the run settles), bad input (empty, binary, too short)
// gives a message and loses nothing, and the long run plots ms per token
// against context length up to 4,000 with the attention panel readable there.
// Saves screenshots in test-output/.   Run: npm run test:browser
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { launchChromium, serveRepo, skipReason, watchErrors } from './chromium.js';
import { LongShortTransformer } from '../../js/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = join(ROOT, 'test-output');
const skip = skipReason;
// A short text unlike Shakespeare, regular enough to learn in a few dozen steps.
const TEXT = Array.from({ length: 60 }, (_, i) =>
  `The owl and the pussy-cat went to sea in a beautiful pea-green boat ${i % 7}.\n`).join('');

let browser;
before(async () => {
  if (skip) return;
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function openDemo(isolation, query = '') {
  const server = await serveRepo({ isolation });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
  const errors = watchErrors(page);
  await page.goto(`${server.origin}/web-demo/${query}`);
  await page.waitForFunction(() => window.demo?.state.model && !window.demo.state.loading, null, { timeout: 60_000 });
  return { server, page, errors };
}

function trainState(page) {
  return page.evaluate(() => {
    const t = window.demo.train;
    const $ = (id) => document.getElementById(id);
    return {
      running: t.running !== null, starting: t.starting, paused: t.paused, runs: t.runs,
      events: t.events.map((e) => ({ kind: e.kind, step: e.step, loss: e.loss })),
      result: t.lastResult, messages: t.messages,
      error: $('train-error').hidden ? '' : $('train-error').textContent,
      status: $('train-status').textContent,
      startDisabled: $('train-start').disabled, pauseDisabled: $('train-pause').disabled, pauseText: $('train-pause').textContent,
      stopDisabled: $('train-stop').disabled, useDisabled: $('train-use').disabled, downloadDisabled: $('train-download').disabled,
      chartDraws: window.demo.lossChart.draws,
    };
  });
}

async function waitTrain(page, until, timeout = 240_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const s = await trainState(page);
    if (until(s)) return s;
    if (Date.now() > end) throw new Error(`timed out; last: ${JSON.stringify({ ...s, events: s.events.slice(-3) })}`);
    await sleep(100);
  }
}

async function generateGreedy(page, prompt, length) {
  await page.fill('#prompt', prompt);
  await page.fill('#length', String(length));
  await page.selectOption('#sampling', 'greedy');
  const n = await page.evaluate(() => window.demo.state.generations);
  await page.click('#generate');
  await page.waitForFunction((k) => window.demo.state.generations > k && window.demo.state.generating === null, n, { timeout: 120_000 });
  return page.evaluate(() => window.demo.state.lastResult.text);
}

test('teach it your text: held-out loss goes down, the page stays responsive, new text, download loads back with the same logits',
  { skip, timeout: 420_000 }, async () => {
    const { server, page, errors } = await openDemo(true);
    try {
      const before = await generateGreedy(page, 'The owl', 80);

      await page.fill('#train-text', TEXT);
      await page.fill('#train-steps', '30');
      await page.fill('#train-lr', '0.001');
      await page.fill('#train-valid-every', '10');
      await page.fill('#train-sample-every', '15');
      // Frame gaps while it trains: the training Worker never blocks the page.
      await page.evaluate(() => {
        window.gaps = [];
        let last = performance.now();
        const tick = (t) => { window.gaps.push(t - last); last = t; if (!window.stopTicks) requestAnimationFrame(tick); };
        requestAnimationFrame(tick);
      });
      await page.click('#train-start');
      await waitTrain(page, (s) => s.running && s.events.some((e) => e.kind === 'step'));
      // The generator keeps working while the trainer runs (its own Worker).
      const during = await generateGreedy(page, 'ROMEO:', 30);
      assert.ok(during.length > 10, 'generation works while training');
      const done = await waitTrain(page, (s) => s.result !== null || s.error !== '');
      const gaps = await page.evaluate(() => { window.stopTicks = true; return window.gaps; });
      assert.equal(done.error, '');
      assert.equal(done.result.finish_reason, 'steps');
      assert.equal(done.result.steps_done, 30);
      const valid = done.events.filter((e) => e.kind === 'valid');
      assert.deepEqual(valid.map((e) => e.step), [0, 10, 20, 30]);
      assert.ok(valid.at(-1).loss < valid[0].loss - 0.3, `held-out loss ${valid[0].loss} -> ${valid.at(-1).loss}`);
      assert.ok(done.events.filter((e) => e.kind === 'sample').length === 2, 'a sample every 15 steps');
      assert.match(await page.textContent('#train-sample'), /^step 30: /);
      assert.match(done.status, /^Done: 30 steps in .*held-out \d\.\d{3} nats\/byte/);
      assert.match(await page.textContent('#train-stat-step'), /^30 \/ 30$/);
      assert.match(await page.textContent('#train-stat-tps'), /^[\d,]+$/);
      assert.ok(done.chartDraws > 0, 'the loss curve was drawn');
      const sorted = gaps.slice().sort((a, b) => a - b);
      const p95 = sorted[Math.floor(sorted.length * 0.95)];
      assert.ok(p95 < 250, `the page kept painting while it trained (95th percentile frame gap ${p95.toFixed(0)} ms)`);
      console.log(`train: held-out ${valid.map((e) => e.loss.toFixed(3)).join(' -> ')} nats/byte; ` +
        `${done.result.tokens_per_second.toFixed(0)} tokens/s; frame gap p95 ${p95.toFixed(0)} ms over ${gaps.length} frames`);
      mkdirSync(OUT, { recursive: true });
      await page.locator('#train-panel').screenshot({ path: join(OUT, 'demo-train.png') });

      // Generate with the new weights: the generator loads them and writes from the prompt.
      assert.equal(done.useDisabled, false);
      await page.fill('#prompt', 'The owl');
      await page.fill('#length', '80');
      const n = await page.evaluate(() => window.demo.state.generations);
      await page.click('#train-use');
      await page.waitForFunction((k) => window.demo.state.generations > k && window.demo.state.generating === null, n, { timeout: 120_000 });
      const status = await page.textContent('#model-status');
      assert.match(status, /^Ready: tinyshakespeare-finetuned-step30\.safetensors/);
      const afterText = await page.evaluate(() => window.demo.state.lastResult.text);
      assert.notEqual(afterText, before, 'the generated text changed');
      assert.match(afterText, /pussy|pea-green|boat|sea/, `the new weights write the new text: ${JSON.stringify(afterText)}`);
      console.log(`train: before ${JSON.stringify(before.slice(0, 60))}\n       after  ${JSON.stringify(afterText.slice(0, 60))}`);

      // Download: a safetensors file that loads back with the same logits as the weights in the page.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#train-download')]);
      assert.equal(download.suggestedFilename(), 'tinyshakespeare-finetuned-step30.safetensors');
      const file = readFileSync(await download.path());
      const ids = Array.from(Buffer.from('The owl and the pussy'));
      const inPage = await page.evaluate(async (x) => Array.from((await window.demo.state.model.forward([x])).data), ids);
      const back = await LongShortTransformer.load(new Uint8Array(file), { threaded: false });
      const local = back.forward([ids]).data;
      back.dispose();
      let diff = 0;
      for (let i = 0; i < local.length; i++) diff = Math.max(diff, Math.abs(local[i] - inPage[i]));
      assert.equal(local.length, inPage.length);
      assert.ok(diff < 1e-4, `logits of the downloaded file differ from the page's by ${diff}`);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await server.close();
    }
  });

test('teach it your text: pause, resume and stop between steps (a small new model); the run settles', { skip, timeout: 300_000 }, async () => {
  const { server, page, errors } = await openDemo(true);
  try {
    await page.fill('#train-text', TEXT);
    await page.selectOption('#train-source', 'scratch');
    assert.equal(await page.inputValue('#train-lr'), '0.002');
    await page.fill('#train-steps', '100000');
    await page.fill('#train-seq', '64');
    await page.fill('#train-valid-every', '5');
    await page.click('#train-start');
    await waitTrain(page, (s) => s.running && s.events.filter((e) => e.kind === 'step').length >= 3);
    assert.match(await page.textContent('#model-status'), /^Ready: tinyshakespeare/, 'the loaded model stays');
    await page.click('#train-pause');
    const paused = await waitTrain(page, (s) => s.paused && !s.pauseDisabled);
    assert.equal(paused.pauseText, 'Resume');
    assert.match(paused.status, /^Paused at step \d+/);
    const at = paused.events.length;
    await sleep(1500);
    const still = await trainState(page);
    assert.equal(still.events.length, at, 'no steps while paused');
    assert.equal(still.running, true, 'the run is pending while paused');
    assert.equal(still.downloadDisabled, false, 'the weights can be downloaded while paused');
    await page.click('#train-pause');
    const resumed = await waitTrain(page, (s) => s.events.filter((e) => e.kind === 'step').length > at);
    assert.ok(resumed.events.some((e) => e.kind === 'resume'));
    assert.equal(resumed.pauseText, 'Pause');
    const t0 = Date.now();
    await page.click('#train-stop');
    const stopped = await waitTrain(page, (s) => !s.running, 30_000);
    console.log(`train: stopped ${Date.now() - t0} ms after Stop, at step ${stopped.result.steps_done}`);
    assert.equal(stopped.result.finish_reason, 'stop');
    assert.ok(stopped.result.steps_done < 100000);
    assert.match(stopped.status, /^Stopped at step \d+/);
    assert.equal(stopped.startDisabled, false);
    assert.equal(stopped.stopDisabled, true);
    assert.equal(stopped.pauseDisabled, true);
    const n = stopped.events.length;
    await sleep(800);
    assert.equal((await trainState(page)).events.length, n, 'no steps after Stop');
    // Stop while paused ends the run at once.
    await page.fill('#train-steps', '100000');
    await page.click('#train-start');
    await waitTrain(page, (s) => s.runs === 2 && s.events.some((e) => e.kind === 'step'));
    await page.click('#train-pause');
    await waitTrain(page, (s) => s.paused && !s.pauseDisabled);
    await page.click('#train-stop');
    assert.equal((await waitTrain(page, (s) => !s.running, 20_000)).result.finish_reason, 'stop');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
    await server.close();
  }
});

test('teach it your text: empty, binary and too-short text give a message and lose nothing; the page stays usable',
  { skip, timeout: 240_000 }, async () => {
    const { server, page, errors } = await openDemo(false);
    try {
      const expectMessage = async (re) => {
        // Wait for this message: the previous case's may still be shown while a file is read.
        const s = await waitTrain(page, (x) => re.test(x.error) && !x.starting, 30_000);
        assert.match(s.error, re);
        assert.equal(s.running, false);
        assert.equal(s.startDisabled, false, 'Train is enabled again');
        return s;
      };
      // Empty text.
      await page.fill('#train-text', '');
      await page.click('#train-start');
      await expectMessage(/^Paste some text in the box or drop a \.txt file first\.$/);

      // A binary file (NUL bytes) through the file input, and one dropped on the panel: the box keeps its text.
      await page.fill('#train-text', 'my notes, kept');
      const binary = Buffer.alloc(3000);
      for (let i = 0; i < binary.length; i++) binary[i] = (i * 2654435761) >>> 24;
      await page.setInputFiles('#train-file', { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: binary });
      await expectMessage(/^photo\.jpg does not look like text \(\d+ NUL bytes\): drop a plain-text file \(\.txt, UTF-8\)\. The text in the box is unchanged\.$/);
      assert.equal(await page.inputValue('#train-text'), 'my notes, kept');
      const latin1 = Buffer.from('caf\xe9 cr\xe8me br\xfbl\xe9e '.repeat(100), 'latin1');
      const dt = await page.evaluateHandle((b64) => {
        const d = new DataTransfer();
        d.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'latin1.txt'));
        return d;
      }, latin1.toString('base64'));
      await page.dispatchEvent('#train-drop', 'drop', { dataTransfer: dt });
      await page.waitForFunction(() => /latin1\.txt/.test(document.getElementById('train-error').textContent));
      assert.match(await page.textContent('#train-error'), /^latin1\.txt does not look like text \([\d.]+% of its bytes are not UTF-8\)/);
      assert.equal(await page.inputValue('#train-text'), 'my notes, kept');
      assert.match(await page.textContent('#model-status'), /^Ready: tinyshakespeare\.safetensors/, 'a file dropped on the panel is not a model');

      // Too short for one sequence: says how long it must be.
      await page.fill('#train-text', 'To be, or not to be: that is the question.');
      await page.click('#train-start');
      await expectMessage(/^The text is 42 bytes: too short for training sequences of 128 bytes with the last 10% held out\. It must be at least 1,300 bytes\.$/);
      await page.fill('#train-text', 'x'.repeat(500));
      await page.click('#train-start');
      await expectMessage(/It must be at least 1,300 bytes, or set the sequence length to 48 or less\.$/);
      assert.equal(await page.inputValue('#train-text'), 'x'.repeat(500), 'the text is kept');

      // A good .txt file fills the box; the page still generates, and training starts.
      await page.setInputFiles('#train-file', { name: 'owl.txt', mimeType: 'text/plain', buffer: Buffer.from(TEXT) });
      await page.waitForFunction((t) => document.getElementById('train-text').value === t, TEXT);
      assert.match(await page.textContent('#train-text-info'), /^4,260 bytes from owl\.txt$/);
      const text = await generateGreedy(page, 'ROMEO:', 40);
      assert.ok(text.length >= 20);
      await page.fill('#train-steps', '3');
      await page.click('#train-start');
      const ok = await waitTrain(page, (s) => s.result !== null || (s.error !== '' && !s.starting));
      assert.equal(ok.error, '', 'the error clears');
      assert.equal(ok.result.steps_done, 3);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await server.close();
    }
  });

test('long run: ms per token against context length up to 4,000 with the reference estimate; attention readable at 4096',
  { skip, timeout: 300_000 }, async () => {
    // A model with max_seq_len 4096 (random weights: the cost does not depend on them).
    const m = await LongShortTransformer.create({ num_tokens: 256, dim: 64, depth: 2, heads: 2, dim_head: 32,
      max_seq_len: 4096, window_size: 32, causal: true, seed: 1, threaded: false });
    const bytes = Buffer.from(m.save());
    m.dispose();
    const { server, page, errors } = await openDemo(true);
    try {
      await page.setInputFiles('#file-input', { name: 'long4096.safetensors', mimeType: 'application/octet-stream', buffer: bytes });
      await page.waitForFunction(() => document.getElementById('model-status').textContent.startsWith('Ready: long4096'));
      const n = await page.evaluate(() => window.demo.state.generations);
      await page.click('#long-run');
      await page.waitForFunction((k) => window.demo.state.generations > k && window.demo.state.generating === null, n, { timeout: 240_000 });
      assert.equal(await page.inputValue('#length'), '4000');
      assert.match(await page.textContent('#finish'), /^done: 4000 tokens$/);
      const chart = await page.evaluate(() => {
        const c = window.demo.speedChart;
        return { points: c.points.length, maxContext: Math.max(...c.points.map((p) => p[0])), reference: c.reference,
          ref4000: c.referenceMs(4000), ref1000: c.referenceMs(1000), draws: c.draws };
      });
      assert.equal(chart.points, 4000);
      assert.ok(chart.maxContext >= 4000, `context reached ${chart.maxContext}`);
      assert.equal(chart.reference.n, 1024, 'calibrated on a full forward of 1024 tokens');
      assert.ok(chart.reference.ms > 0);
      assert.ok(Math.abs(chart.ref4000 / chart.ref1000 - 4) < 1e-9, 'the reference cost grows linearly with the context');
      assert.ok(chart.draws > 0);
      const summary = await page.textContent('#long-summary');
      assert.match(summary, /^Measured: median [\d.]+ ms\/token at context ≤ \d+, [\d.]+ ms\/token at context ≥ \d+ .*Reference recompute \(estimated from a 1024-token forward/);
      // Attention at context ~4000: 250 global tokens binned two to a column, positions on the axis.
      const attn = await page.evaluate(() => {
        const last = window.demo.attentionView.rows.at(-1);
        return { query: last.query_pos, global: last.num_global };
      });
      assert.ok(attn.query >= 4000 && attn.global >= 249, JSON.stringify(attn));
      assert.match(await page.textContent('#attention-summary'), /on 2\d\d global tokens/);
      mkdirSync(OUT, { recursive: true });
      await page.locator('#long-panel').screenshot({ path: join(OUT, 'demo-long-run.png') });
      await page.locator('#attention-panel').screenshot({ path: join(OUT, 'demo-attention-4096.png') });
      console.log(`long run: ${summary}`);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await server.close();
    }
  });
