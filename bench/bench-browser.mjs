#!/usr/bin/env node
// The web demo's speed in headless Chromium (Debian's, via playwright-core):
// time from page load to the first generated character, and tokens/s of the
// bundled model, with the threaded build (cross-origin isolated) and the
// single-threaded one, with and without recording attention. Each run is a
// fresh browser context (cold cache) that generates twice: the first
// generation right after the page loads (while Chromium still runs the wasm
// in its baseline compiler), the second once it has tiered up. Medians.
// Then a cold and a warm page load of each build in one browser context: the
// requests the server saw (all, and for the model file), the time to the
// model being ready and to the first token from page load.
//
//   node bench/bench-browser.mjs [--runs 3] [--length 400] [--prompt TEXT]
//   npm run bench:browser
import { parseArgs } from 'node:util';
import { launchChromium, serveRepo, skipReason } from '../tests/browser/chromium.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    length: { type: 'string', default: '400' },
    prompt: { type: 'string', default: 'ROMEO:\n' },
  },
});
const runs = Number(values.runs);
const length = Number(values.length);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(length) || length < 1) {
  console.error('bench-browser: --runs and --length must be positive integers');
  process.exit(1);
}
if (skipReason) {
  console.error(`bench-browser: ${skipReason}`);
  process.exit(1);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function once(browser, origin, attention) {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    const q = new URLSearchParams({ autostart: '1', length: String(length), prompt: values.prompt, attention: attention ? '1' : '0' });
    await page.goto(`${origin}/web-demo/?${q}`);
    await page.waitForFunction(() => window.demo?.state.lastResult || !document.getElementById('error').hidden,
      null, { timeout: 300_000, polling: 50 });
    const r = await page.evaluate(() => ({
      error: document.getElementById('error').hidden ? '' : document.getElementById('error').textContent,
      timings: window.demo.timings,
      stats: window.demo.state.lastStats,
      build: document.getElementById('stat-build').textContent,
    }));
    if (r.error) throw new Error(r.error);
    // A second generation in the same page: the wasm code has tiered up.
    await page.click('#generate');
    await page.waitForFunction(() => window.demo.state.generating === null && window.demo.state.lastResult,
      null, { timeout: 300_000, polling: 50 });
    r.warm = await page.evaluate(() => window.demo.state.lastStats);
    return r;
  } finally {
    await context.close();
  }
}

/** A cold page load, then a reload in the same context (HTTP cache and the model in the Cache API). */
async function pageLoads(browser, isolation) {
  const log = [];
  const server = await serveRepo({ isolation, log: (line) => log.push(line) });
  const context = await browser.newContext();
  const rows = [];
  try {
    for (const kind of ['cold', 'warm']) {
      log.length = 0;
      const page = await context.newPage();
      const t0 = Date.now();
      const q = new URLSearchParams({ autostart: '1', length: '50', prompt: values.prompt, attention: '0' });
      await page.goto(`${server.origin}/web-demo/?${q}`);
      await page.waitForFunction(() => window.demo?.state.lastResult || !document.getElementById('error').hidden,
        null, { timeout: 300_000, polling: 20 });
      const r = await page.evaluate(() => ({ timings: window.demo.timings, status: document.getElementById('model-status').textContent }));
      await page.close();
      rows.push({
        kind, requests: log.length, model: log.filter((l) => l.includes('.safetensors')).length, ms: Date.now() - t0,
        ready: r.timings.modelReady, first: r.timings.firstChar, status: r.status,
      });
    }
  } finally {
    await context.close();
    await server.close();
  }
  return rows;
}

const browser = await launchChromium();
console.log(`web demo in Chromium ${browser.version()}: bundled model, prompt ${JSON.stringify(values.prompt)}, ` +
  `${length} new tokens, ${runs} cold page loads each (medians)`);
console.log('build                    attention  model ready  first char  tokens/s (1st gen)  tokens/s (2nd gen)  engine ms/token (2nd)');
try {
  for (const isolation of [true, false]) {
    const server = await serveRepo({ isolation });
    try {
      for (const attention of [true, false]) {
        const rs = [];
        for (let i = 0; i < runs; i++) rs.push(await once(browser, server.origin, attention));
        const row = [
          rs[0].build.padEnd(25),
          (attention ? 'on' : 'off').padEnd(10),
          `${(median(rs.map((r) => r.timings.modelReady)) / 1000).toFixed(2)} s`.padStart(11),
          `${(median(rs.map((r) => r.timings.firstChar)) / 1000).toFixed(2)} s`.padStart(11),
          median(rs.map((r) => r.stats.tokens_per_second)).toFixed(1).padStart(18),
          median(rs.map((r) => r.warm.tokens_per_second)).toFixed(1).padStart(19),
          median(rs.map((r) => r.warm.compute_ms_per_token)).toFixed(2).padStart(22),
        ];
        console.log(row.join(' '));
      }
    } finally {
      await server.close();
    }
  }
  console.log('\npage loads (one context: cold, then warm)  requests  model requests  model ready  first token (from page load)');
  for (const isolation of [true, false]) {
    for (const r of await pageLoads(browser, isolation)) {
      console.log(`${(isolation ? 'isolated (threaded)' : 'not isolated (single)').padEnd(22)} ${r.kind.padEnd(20)}` +
        `${String(r.requests).padStart(8)}${String(r.model).padStart(16)}${`${(r.ready / 1000).toFixed(2)} s`.padStart(13)}` +
        `${`${(r.first / 1000).toFixed(2)} s`.padStart(14)}   ${r.status}`);
    }
  }
} finally {
  await browser.close();
}
