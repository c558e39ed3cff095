#!/usr/bin/env node
// `npm run bench`: forward latency (median, after a warm-up) and tokens/s in
// Node for the single-threaded and the threaded (2 threads) WebAssembly
// builds, on the engine issue's two configurations with random weights; then
// the native figures when their binaries exist (build/bench_forward,
// build/bench_gemm: `npm run build:native`).
//
// Then training tokens/s (the bundled and the reference package's train.py configs, both
// builds, and build/bench_train natively).
//
//   node bench/bench-wasm.mjs [--quick] [--runs N] [--n N] [--config A|B] [--no-native]
//                             [--no-train] [--train-config bundled|seed] [--train-steps N]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { LongShortTransformer } from '../js/index.js';
import { benchTraining } from './bench-wasm-train.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const value = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const quick = flag('--quick');
const runs = Number(value('--runs', quick ? 2 : 5));
const n = Number(value('--n', quick ? 256 : 1024));
const only = value('--config', null);

const BASE = { num_tokens: 20000, dim: 512, depth: 6, heads: 8, dim_head: 64, window_size: 128, max_seq_len: 1024 };
const CONFIGS = {
  A: { ...BASE, causal: false, r: 256 },
  B: { ...BASE, causal: true, segment_size: 16, r: 1 },
};
const BUILDS = [
  { name: 'wasm single', options: { threaded: false } },
  { name: 'wasm threaded 2T', options: { threaded: true, threads: 2 } },
];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function randomTokens(count, vocab, seed) {
  const out = new Int32Array(count);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x % vocab;
  }
  return out;
}

console.log(`# Long-Short Transformer forward in Node ${process.version} (WebAssembly SIMD128), n = ${n}, ` +
  `median of ${runs} after 1 warm-up, logits into a reused buffer${quick ? ' (--quick)' : ''}`);
console.log('| config | build | threads | median ms | min ms | tokens/s |');
console.log('|---|---|---|---|---|---|');
const rows = [];
for (const [key, config] of Object.entries(CONFIGS)) {
  if (only && only !== key) continue;
  for (const build of BUILDS) {
    const model = await LongShortTransformer.create({ ...config, seed: 0, ...build.options });
    try {
      const tokens = randomTokens(n, config.num_tokens, 12345);
      // The logits go into one reused buffer (forward's `out`), as a serving
      // loop would: a fresh 80 MB array per call costs its first-touch page
      // faults (~0.5 s on some VMs), which measure the OS, not the engine.
      const out = new Float32Array(n * config.num_tokens);
      model.forward(tokens, { dims: [1, n], out });  // warm-up (sizes buffers, grows the heap)
      const times = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        model.forward(tokens, { dims: [1, n], out });
        times.push(performance.now() - t0);
      }
      const med = median(times);
      const row = { config: key, build: build.name, threads: model.runtime.threads, median_ms: med,
        min_ms: Math.min(...times), tokens_per_s: (n / med) * 1000 };
      rows.push(row);
      console.log(`| ${key}${config.causal ? ' (causal)' : ' (non-causal)'} | ${row.build} | ${row.threads} | ` +
        `${med.toFixed(1)} | ${row.min_ms.toFixed(1)} | ${row.tokens_per_s.toFixed(0)} |`);
    } finally {
      model.dispose();
    }
  }
}
console.log(`# A: ${JSON.stringify(CONFIGS.A)}`);
console.log(`# B: ${JSON.stringify(CONFIGS.B)}`);

// Training throughput: the JS Trainer in both builds, then build/bench_train
// (bench/bench-wasm-train.mjs; --no-train skips it, --train-config picks one).
if (!flag('--no-train')) {
  await benchTraining({ quick, steps: Number(value('--train-steps', 3)), only: value('--train-config', null),
    native: !flag('--no-native') });
}

// Native figures and the GEMM table, when built.
if (!flag('--no-native')) {
  // Same n and run count as above, so the native rows compare directly.
  const hooks = [
    ['build/bench_forward', ['--runs', String(runs), '--n', String(n)]],
    ['build/bench_gemm', quick ? ['--quick'] : []],
    // A wasm build of the GEMM bench, if the build provides one (run by node).
    ['build-wasm-st/bench_gemm.cjs', quick ? ['--quick'] : []],
  ];
  for (const [bin, argv] of hooks) {
    const path = join(ROOT, bin);
    if (!existsSync(path)) {
      console.log(`# ${bin}: not built${bin.startsWith('build/') ? ' (npm run build:native)' : ''}, skipped`);
      continue;
    }
    console.log(`\n# ${bin} ${argv.join(' ')}`);
    const [cmd, cmdArgs] = bin.endsWith('.cjs') ? [process.execPath, ['--no-experimental-fetch', path, ...argv]] : [path, argv];
    const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', cwd: ROOT });
    if (r.status !== 0) {
      console.error(`${bin} exited with ${r.status ?? r.signal}`);
      process.exitCode = 1;
    }
  }
}
