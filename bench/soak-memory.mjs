// Memory over many calls, per wasm build: RSS and the model's WebAssembly
// heap across >= 5,000 generate calls on one model, then >= 200
// load/dispose cycles of the bundled model. Prints the growth; a leak
// shows as RSS climbing with the call count instead of a plateau.
//
//   node --expose-gc bench/soak-memory.mjs [--generates N] [--cycles N] [--quick]
import { LongShortTransformer, bundledModelUrl } from '../js/index.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const quick = process.argv.includes('--quick');
const generates = arg('--generates', quick ? 200 : 5000);
const cycles = arg('--cycles', quick ? 20 : 200);
const mb = (x) => (x / 1e6).toFixed(1);
const rss = () => {
  globalThis.gc?.();
  return process.memoryUsage().rss;
};
const bytes = new Uint8Array(readFileSync(fileURLToPath(bundledModelUrl)));

for (const variant of [{ name: 'single', options: { threaded: false } }, { name: 'threaded-2T', options: { threaded: true, threads: 2 } }]) {
  console.log(`== wasm ${variant.name}`);
  const model = await LongShortTransformer.load(bytes, variant.options);
  const reference = model.forward([72, 101, 108, 108, 111]).data;
  const start = rss();
  const marks = [];
  const t0 = performance.now();
  for (let i = 1; i <= generates; i++) {
    await model.generate('ROMEO:', { max_new_tokens: 8, seed: i });
    if (i % Math.max(1, Math.floor(generates / 5)) === 0) marks.push(`${i}: ${mb(rss())} MB`);
  }
  const same = model.forward([72, 101, 108, 108, 111]).data.every((x, k) => x === reference[k]);
  console.log(`  ${generates} generate calls (8 tokens each) in ${((performance.now() - t0) / 1000).toFixed(1)} s: ` +
    `RSS ${mb(start)} -> ${marks.join(', ')}; logits afterwards bit-identical: ${same}`);
  model.dispose();

  const before = rss();
  const cycleMarks = [];
  const t1 = performance.now();
  for (let i = 1; i <= cycles; i++) {
    const m = await LongShortTransformer.load(bytes, variant.options);
    m.forward([1, 2, 3]);
    m.dispose();
    if (i % Math.max(1, Math.floor(cycles / 5)) === 0) {
      await new Promise((r) => setTimeout(r, 50));  // let terminated workers go
      cycleMarks.push(`${i}: ${mb(rss())}`);
    }
  }
  console.log(`  ${cycles} load/forward/dispose cycles in ${((performance.now() - t1) / 1000).toFixed(1)} s: ` +
    `RSS ${mb(before)} -> ${cycleMarks.join(', ')} MB`);
}
