// Milliseconds per new token in Node (wasm builds), with the incremental
// cache and with full recomputation (the reference package's generate), at context 128,
// 1024 and 8192, for a byte-level model (dim 512, depth 6, heads 8,
// max_seq_len 8192). `--quick`: a small model and contexts 128/512.
// `--dtype f32,f16,int8`: those weight formats side by side (the same seeded
// weights converted; default f32). `--depth N`: another depth (8: train.py's).
// `--contexts 128,1024`, `--variants single,threaded`.
import { LongShortTransformer } from '../js/index.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const quick = process.argv.includes('--quick');
const config = quick
  ? { num_tokens: 256, dim: 128, depth: 2, heads: 4, dim_head: 32, max_seq_len: 1024, window_size: 128, segment_size: 16, r: 1, causal: true }
  : { num_tokens: 256, dim: 512, depth: Number(arg('--depth', 6)), heads: 8, dim_head: 64, max_seq_len: 8192, window_size: 128, segment_size: 16, r: 1, causal: true };
const contexts = arg('--contexts', quick ? '128,512' : '128,1024,8192').split(',').map(Number);
const dtypes = arg('--dtype', 'f32').split(',');
const wanted = arg('--variants', 'single,threaded').split(',');
const steps = quick ? 8 : 16;
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

const variants = [{ name: 'single', label: 'wasm single', options: { threaded: false } },
  { name: 'threaded', label: 'wasm threaded-2T', options: { threaded: true, threads: 2 } }].filter((v) => wanted.includes(v.name));
for (const variant of variants) {
  const models = [];
  for (const dtype of dtypes) models.push(await LongShortTransformer.create({ ...config, seed: 0, weights: dtype, ...variant.options }));
  console.log(`generation, ${variant.label}, ${JSON.stringify(config)}: ms per new token (median of ${steps})`);
  console.log(`${'context'.padStart(8)} ${'dtype'.padStart(6)} ${'cached ms'.padStart(10)} ${'full-recompute ms'.padStart(18)} ${'speedup'.padStart(8)}`);
  for (const ctx of contexts) {
    const prompt = Array.from({ length: ctx - steps }, (_, i) => (i * 31 + 7) % 256);
    // The formats one after another at each context: side by side in one run.
    for (const [mi, model] of models.entries()) {
      // Cached: the per-step times of a generation that ends exactly at ctx tokens.
      const cached = [];
      for await (const s of model.stream(prompt, { max_new_tokens: steps, seed: 1 })) if (s.index > 0) cached.push(s.ms);
      // Full recomputation: a forward pass over the whole context per token.
      const full = [];
      for (let r = 0; r < (ctx >= 8192 ? 1 : 3); r++) {
        const t0 = performance.now();
        model.forward(prompt);
        full.push(performance.now() - t0);
      }
      const mc = median(cached), mf = median(full);
      console.log(`${String(ctx).padStart(8)} ${dtypes[mi].padStart(6)} ${mc.toFixed(2).padStart(10)} ${mf.toFixed(1).padStart(18)} ${(mf / mc).toFixed(0).padStart(7)}x`);
    }
  }
  for (const m of models) m.dispose();
}
