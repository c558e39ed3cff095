#!/usr/bin/env node
// The relaxed-SIMD build against the SIMD128 one in headless Chromium (Debian's,
// via playwright-core), side by side in one browser, one thread:
//   1. bench_gemm as a page script from each build: the measured multiply-add
//      peak (SIMD128: f32x4.mul + f32x4.add; relaxed: f32x4.relaxed_madd) and
//      the builtin GEMM's GFLOPS and share of that peak;
//   2. the forward of the engine issue's config A (n = 1024 by default),
//      the two builds alternating, medians;
//   3. decode with int8 weights (ms per token), the two builds alternating.
// Needs dist/ with all four builds and the two bench_gemm builds
// (ninja -C build-wasm-st bench_gemm; ninja -C build-wasm-rst bench_gemm).
//
//   node bench/bench-browser-simd.mjs [--runs 5] [--n 1024] [--tokens 200] [--quick]
//   npm run bench:simd
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { launchChromium, serveRepo, skipReason } from '../tests/browser/chromium.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    n: { type: 'string', default: '1024' },
    tokens: { type: 'string', default: '200' },
    quick: { type: 'boolean', default: false },
  },
});
const runs = Number(values.quick ? 2 : values.runs);
const n = Number(values.quick ? 256 : values.n);
const tokens = Number(values.quick ? 40 : values.tokens);
if (skipReason) {
  console.error(`bench-browser-simd: ${skipReason}`);
  process.exit(1);
}
const BUILDS = [{ simd: 'simd128', dir: 'build-wasm-st' }, { simd: 'relaxed', dir: 'build-wasm-rst' }];
for (const { dir } of BUILDS) {
  if (!existsSync(join(ROOT, dir, 'bench_gemm.cjs'))) {
    console.error(`bench-browser-simd: no ${dir}/bench_gemm.cjs: ninja -C ${dir} bench_gemm`);
    process.exit(1);
  }
}

const browser = await launchChromium();
console.log(`Chromium ${browser.version()}, one thread, ${new Date().toISOString()}\n`);

// 1. bench_gemm in a page per build, each in a folder of its own (the glue
// fetches "bench_gemm.wasm" beside itself); its stdout is the page's console.
const pages = mkdtempSync(join(tmpdir(), 'lst-bench-simd-'));
const gemm = {};
try {
  for (const { simd, dir } of BUILDS) {
    mkdirSync(join(pages, simd));
    copyFileSync(join(ROOT, dir, 'bench_gemm.cjs'), join(pages, simd, 'bench_gemm.js'));
    copyFileSync(join(ROOT, dir, 'bench_gemm.wasm'), join(pages, simd, 'bench_gemm.wasm'));
    writeFileSync(join(pages, simd, 'index.html'), `<!doctype html><meta charset="utf-8">
<script>var Module = { arguments: ${JSON.stringify(values.quick ? ['--quick'] : [])} };</script>
<script src="bench_gemm.js"></script>`);
  }
  const server = await serveRepo({ isolation: false, root: pages });
  try {
    for (const { simd } of BUILDS) {
      const page = await browser.newPage();
      const lines = [];
      const done = new Promise((resolve) => page.on('console', (m) => {
        lines.push(m.text());
        if (m.text().startsWith('total')) resolve();
      }));
      await page.goto(`${server.origin}/${simd}/index.html`);
      let timer;
      await Promise.race([done, new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('bench_gemm did not finish in 300 s')), 300_000);
      })]).finally(() => clearTimeout(timer));
      gemm[simd] = lines;
      await page.close();
    }
  } finally {
    await server.close();
  }
} finally {
  rmSync(pages, { recursive: true, force: true });
}
for (const { simd } of BUILDS) {
  console.log(`== bench_gemm, ${simd} build`);
  console.log(gemm[simd].filter((l) => /peak|^backend|^builtin|^SIMD/.test(l)).join('\n'));
  console.log('');
}

// 2 and 3: the package's own API in a page of the demo's origin (its import map).
const server = await serveRepo({ isolation: false });
try {
  const page = await browser.newPage();
  await page.goto(`${server.origin}/web-demo/`);
  const r = await page.evaluate(async ({ n, runs, tokens }) => {
    const { LongShortTransformer } = await import('/js/index.js');
    const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const A = { num_tokens: 20000, dim: 512, depth: 6, heads: 8, dim_head: 64, window_size: 128, max_seq_len: 1024, causal: false, r: 256 };
    const ids = [Array.from({ length: n }, (_, i) => (i * 7919) % 20000)];
    const out = { forward: {}, decode: {}, runtime: {} };
    const models = {};
    for (const simd of ['simd128', 'relaxed']) {
      models[simd] = await LongShortTransformer.create({ ...A, seed: 1, threaded: false, simd });
      out.runtime[simd] = models[simd].runtime;
      models[simd].forward(ids);  // warm-up (tier-up)
      out.forward[simd] = [];
    }
    for (let i = 0; i < runs; ++i) {
      for (const simd of ['simd128', 'relaxed']) {
        const t0 = performance.now();
        models[simd].forward(ids);
        out.forward[simd].push(performance.now() - t0);
      }
    }
    let maxAbs = 0;
    const la = models.simd128.forward(ids).data, lb = models.relaxed.forward(ids).data;
    for (let i = 0; i < la.length; ++i) maxAbs = Math.max(maxAbs, Math.abs(la[i] - lb[i]));
    out.maxAbs = maxAbs;
    for (const m of Object.values(models)) m.dispose();
    // Decode with int8 weights: the reference package's train.py model (dim 512, depth 8).
    const D = { num_tokens: 256, dim: 512, depth: 8, heads: 8, dim_head: 64, max_seq_len: 4096, window_size: 128, segment_size: 16, r: 1, causal: true };
    const dec = {};
    for (const simd of ['simd128', 'relaxed']) {
      dec[simd] = await LongShortTransformer.create({ ...D, seed: 1, threaded: false, simd, weights: 'int8' });
      await dec[simd].generate([72, 101], { max_new_tokens: 8, temperature: 0 });
      out.decode[simd] = [];
    }
    const texts = {};
    for (let i = 0; i < runs; ++i) {
      for (const simd of ['simd128', 'relaxed']) {
        const t0 = performance.now();
        const g = await dec[simd].generate([72, 101, 108, 108, 111], { max_new_tokens: tokens, temperature: 0 });
        out.decode[simd].push((performance.now() - t0) / tokens);
        texts[simd] = Array.from(g.tokens ?? g).join(',');
      }
    }
    out.sameInt8Tokens = texts.simd128 === texts.relaxed;
    for (const m of Object.values(dec)) m.dispose();
    for (const k of ['forward', 'decode']) for (const simd of ['simd128', 'relaxed']) out[k][simd] = median(out[k][simd]);
    return out;
  }, { n, runs, tokens });
  console.log(`== forward, config A (dim 512, depth 6, r 256, non-causal, 20000 tokens), n = ${n}, median of ${runs}`);
  console.log(`simd128 ${r.forward.simd128.toFixed(0)} ms   relaxed ${r.forward.relaxed.toFixed(0)} ms   ` +
    `speed-up ${(r.forward.simd128 / r.forward.relaxed).toFixed(2)}x   logits max |diff| ${r.maxAbs.toExponential(2)}`);
  console.log(`\n== decode, int8 weights (dim 512, depth 8), ms per token over ${tokens} greedy tokens, median of ${runs}`);
  console.log(`simd128 ${r.decode.simd128.toFixed(2)} ms   relaxed ${r.decode.relaxed.toFixed(2)} ms   ` +
    `speed-up ${(r.decode.simd128 / r.decode.relaxed).toFixed(2)}x   same tokens: ${r.sameInt8Tokens}`);
  console.log(`\nruntime: ${JSON.stringify(r.runtime)}`);
} finally {
  await server.close();
  await browser.close();
}
