// Training throughput in Node (the training section of `npm run bench`):
// tokens/s of optimiser steps (forward, backward, clipping, Adam) of the JS
// Trainer for the bundled model's config (batch 8 x seq 512) and the reference package's
// train.py config (batch 4 x seq 1024), single-threaded and threaded-2T wasm
// builds; then the native counterpart (build/bench_train).
//
//   node bench/bench-wasm-train.mjs [--quick] [--steps N] [--config bundled|seed] [--no-native]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { Trainer } from '../js/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export const TRAIN_CONFIGS = {
  bundled: {
    config: { num_tokens: 256, dim: 192, depth: 4, heads: 4, dim_head: 48, max_seq_len: 512, window_size: 64, segment_size: 16, r: 1 },
    batch: 8, seq: 512, stepsDiv: 1,
  },
  // the reference package's train.py: about 15x the work per token, so fewer steps
  seed: {
    config: { num_tokens: 256, dim: 512, depth: 8, heads: 8, dim_head: 64, max_seq_len: 1024, window_size: 128, segment_size: 16, r: 1 },
    batch: 4, seq: 1024, stepsDiv: 3,
  },
};
const BUILDS = [
  { name: 'wasm single', options: { threaded: false } },
  { name: 'wasm threaded 2T', options: { threaded: true, threads: 2 } },
];

function randomBytes(count, seed) {
  const out = new Uint8Array(count);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 255;
  }
  return out;
}

/**
 * Prints the training table. --quick: the bundled config only, one timed
 * step per build.
 * @param {{ quick?: boolean, steps?: number, only?: string|null, native?: boolean }} options
 */
export async function benchTraining({ quick = false, steps = 3, only = null, native = true } = {}) {
  const data = randomBytes(1 << 20, 7);
  console.log(`\n# Training in Node ${process.version} (WebAssembly SIMD128): optimiser steps (forward + backward + ` +
    `clip + Adam), accum 1, median step after 1 warm-up${quick ? ' (--quick: bundled config, 1 step)' : ''}`);
  console.log('| config | batch x seq | build | threads | steps | ms/step | tokens/s |');
  console.log('|---|---|---|---|---|---|---|');
  const rows = [];
  for (const [key, c] of Object.entries(TRAIN_CONFIGS)) {
    if (only && only !== key) continue;
    if (quick && key !== 'bundled') continue;
    const n = Math.max(1, quick ? 1 : Math.floor(steps / c.stepsDiv));
    for (const build of BUILDS) {
      const trainer = await Trainer.create({ config: c.config, data, valid_fraction: 0.05, batch: c.batch, accum: 1, seq: c.seq,
        steps: n + 1, seed: 0, ...build.options });
      try {
        trainer.step();  // warm-up: sizes the arena, grows the heap
        const ms = [];
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          trainer.step();
          ms.push(performance.now() - t0);
        }
        ms.sort((a, b) => a - b);
        const med = ms.length % 2 ? ms[(ms.length - 1) >> 1] : (ms[ms.length / 2 - 1] + ms[ms.length / 2]) / 2;
        const row = { config: key, build: build.name, threads: trainer.runtime.threads, steps: n, ms_per_step: med,
          tokens_per_s: (c.batch * c.seq * 1000) / med };
        rows.push(row);
        console.log(`| ${key} | ${c.batch} x ${c.seq} | ${row.build} | ${row.threads} | ${n} | ${med.toFixed(0)} | ${row.tokens_per_s.toFixed(0)} |`);
      } finally {
        trainer.dispose();
      }
    }
  }
  for (const [key, c] of Object.entries(TRAIN_CONFIGS)) console.log(`# ${key}: ${JSON.stringify(c.config)}`);
  if (native) {
    const bin = join(ROOT, 'build/bench_train');
    if (!existsSync(bin)) {
      console.log('# build/bench_train: not built (npm run build:native), skipped');
    } else {
      const argv = ['--steps', String(steps)];
      if (quick) argv.push('--quick', '--config', 'bundled');
      else if (only) argv.push('--config', only);
      console.log(`\n# build/bench_train ${argv.join(' ')}`);
      const r = spawnSync(bin, argv, { stdio: 'inherit', cwd: ROOT });
      if (r.status !== 0) {
        console.error(`build/bench_train exited with ${r.status ?? r.signal}`);
        process.exitCode = 1;
      }
    }
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const value = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
  };
  await benchTraining({
    quick: args.includes('--quick'), steps: Number(value('--steps', 3)), only: value('--config', null),
    native: !args.includes('--no-native'),
  });
}
