// Type test of js/index.d.ts: compiles with `tsc --noEmit -p tests/js`
// (tests/js/types.test.js runs it). Lines marked @ts-expect-error must fail.
import {
  LongShortTransformer, LongShortTransformerWorker, SafetensorsFile, readSafetensorsHeader,
  type CreateOptions, type Logits, type ProgressInfo, type ResolvedConfig,
  Trainer, type TrainerEvent, type TrainerRunResult, type TrainerStep, type GenerateResult,
  clearModelCache, bundledModelUrl,
  TrainerWorker, type TrainerWorkerEvent, type TrainerWorkerRunResult,
} from 'long-short-transformer';

async function main(): Promise<void> {
  const model: LongShortTransformer = await LongShortTransformer.load('model.safetensors', {
    threads: 2,
    backend: 'builtin',
    wasmPaths: '/static/lst/',
    progress_callback: (p: ProgressInfo) => { void p.loaded; },
    config: { num_tokens: 256, dim: 512, depth: 6, max_seq_len: 1024 },
  });
  await LongShortTransformer.load(new Uint8Array(8));
  const removed: boolean = await clearModelCache(bundledModelUrl);
  await LongShortTransformer.load(bundledModelUrl, { signal: new AbortController().signal, cache: 'revalidate' });
  // @ts-expect-error cache takes true, false or 'revalidate'
  await LongShortTransformer.load(bundledModelUrl, { cache: 'always' });
  void removed;
  await LongShortTransformer.load(new ArrayBuffer(8), { threaded: false });
  await LongShortTransformer.load(new Response(null), { wasmPaths: { 'lst.wasm': new URL('https://x/lst.wasm') } });

  const opts: CreateOptions = {
    num_tokens: 20000, dim: 512, depth: 6, heads: 8, dim_head: 64, max_seq_len: 1024,
    window_size: 128, r: 256, causal: false, seed: 0,
  };
  const m2 = await LongShortTransformer.create(opts);

  const V0 = model.config.num_tokens;
  const a: Logits = model.forward([1, 2, 3]);
  const b = model.forward([[1, 2], [3, 4]], { mask: [[true, false], [1, 1]] });
  const c = model.forward(new Int32Array(6), { dims: [2, 3], mask: new Uint8Array(6) });
  const d = model.forward({ data: new BigInt64Array(2), dims: [1, 2] }, { out: new Float32Array(2 * V0) });
  const data: Float32Array = a.data;
  const [bb, nn, vv]: [number, number, number] = b.dims;
  void [c, d, data, bb, nn, vv];

  const config: ResolvedConfig = model.config;
  const V: number = config.num_tokens;
  const seg: number | null = config.segment_size;
  const n: number = model.numParameters;
  const bytes: Uint8Array = model.save({ dtype: 'float16' });
  const variant: 'single' | 'threaded' = model.runtime.variant;
  void [V, seg, n, bytes, variant];

  const file = new SafetensorsFile(bytes);
  const meta: Record<string, string> = file.metadata;
  const dims: number[] = file.get('token_emb.weight').dims;
  void [meta, dims, readSafetensorsHeader(bytes).tensors.size];

  // @ts-expect-error create needs the required kwargs
  await LongShortTransformer.create({ dim: 4 });
  // @ts-expect-error no public constructor
  new LongShortTransformer();
  // @ts-expect-error dtype is float32 | float16 | int8
  model.save({ dtype: 'int4' });
  model.save({ dtype: 'int8' });
  // @ts-expect-error weights is f32 | f16 | int8 | stored
  void LongShortTransformer.load(bytes, { weights: 'q4' });
  const weights: string = model.runtime.weights;
  void weights;
  // @ts-expect-error tokens are numbers
  model.forward(['a']);
  // @ts-expect-error config is read-only
  model.config.dim = 3;
  // @ts-expect-error unknown backend
  await LongShortTransformer.create({ ...opts, backend: 'cuda' });

  const w = await LongShortTransformerWorker.load(new URL('https://x/m.safetensors'), { threads: 2 });
  const wl: Logits = await w.forward([1, 2]);
  const ws: Uint8Array = await w.save();
  void [wl, ws, w.config.dim];
  // @ts-expect-error the worker's forward is async
  const notSync: Logits = w.forward([1]);
  void notSync;
  w.dispose();

  model.dispose();
  m2.dispose();
}
void main;

// Generation types.
async function generationTypes(m: LongShortTransformer) {
  const r = await m.generate('ROMEO:', { max_new_tokens: 10, temperature: 0.8, filter_thres: 0.9, seed: 1, stop: '\n\n' });
  const finish: 'length' | 'eos' | 'stop' | 'abort' | 'callback' = r.finish_reason;
  const text: string = r.text;
  const warnings: string[] = r.warnings;
  // Readonly and typed-array prompts and stop lists, and a prompt whose type is a union.
  const ids: readonly number[] = [1, 2, 3];
  const stops: readonly string[] = ['\n\n', 'END'];
  await m.generate(ids, { stop: stops });
  await m.generate(new Int32Array([1, 2]), { stop: [[1, 2]] as const });
  const either: string | string[] = Math.random() > 0.5 ? 'a' : ['a', 'b'];
  const out: GenerateResult | GenerateResult[] = await m.generate(either);
  const batch: readonly string[] = ['a', 'b'];
  const rows: GenerateResult[] = await m.generate(batch);
  for await (const step of m.stream(new Uint8Array([65]))) { const w: string | undefined = step.warning; void w; }
  void [warnings, out, rows];
  const many = await m.generate([[1, 2], [3]], { do_sample: false });
  const n: number = many[0].tokens.length;
  for await (const step of m.stream([1, 2, 3], { attention: { layer: 0, head: 1 } })) {
    const p: Float32Array | undefined = step.attention?.probs;
    const t: number = step.token;
  }
  // @ts-expect-error context_mode takes 'exact' | 'reencode'
  await m.generate('x', { context_mode: 'fast' });
}

// Training types.
async function trainingTypes(m: LongShortTransformer) {
  const t: Trainer = await Trainer.create({ config: { num_tokens: 256, dim: 64, depth: 2, max_seq_len: 128 }, data: 'To be', batch: 2, seq: 64, lr: 1e-3, cosine: true, threaded: false });
  const s: TrainerStep = t.step();
  const r: TrainerRunResult = await t.run({ steps: 10, valid_every: 5, progress_callback: (e: TrainerEvent) => { void e.tokens_per_second; }, signal: new AbortController().signal });
  const v: number = t.validate().bits;
  const text: string = t.sample(32, 'ROMEO:');
  const bytes: Uint8Array = t.save({ dtype: 'float16' });
  const model: LongShortTransformer = await t.toModel();
  await Trainer.create({ init: m, data: new Uint8Array(10), preset: 'seed' });
  const g = await Trainer.gradients(bytes, [[1, 2, 3]]);
  const gl: number = g.loss;
  const gt: Float32Array = g.gradients.get('token_emb.weight');
  const state: Uint8Array = t.saveState();
  const done: number = t.resume(state);
  t.resume(state.buffer as ArrayBuffer);
  // @ts-expect-error resume takes the bytes of saveState()
  t.resume('state');
  // @ts-expect-error a Trainer has no evaluate() (the model has)
  t.evaluate('x');
  void [s, r, v, text, model, gl, gt, done];
  // @ts-expect-error preset takes 'seed' only
  await Trainer.create({ data: 'x', preset: 'fast' });
  // @ts-expect-error data is required
  await Trainer.create({ config: { num_tokens: 256, dim: 64, depth: 2, max_seq_len: 128 } });
  t.dispose();
}
void trainingTypes;

// Training in a Worker.
async function trainerWorkerTypes(w: LongShortTransformerWorker) {
  const ac = new AbortController();
  const t: TrainerWorker = await TrainerWorker.create({ init: w, data: new Blob(['To be']), seq: 64, lr: 1e-4, signal: ac.signal });
  const r: TrainerWorkerRunResult = await t.run({
    steps: 10, valid_every: 5, sample_every: 5, signal: ac.signal,
    progress_callback: (e: TrainerWorkerEvent) => { if (e.kind === 'pause') return false; void e.eta_seconds; },
  });
  const reason: 'steps' | 'stop' | 'abort' | 'callback' = r.finish_reason;
  const p: { paused: boolean; step: number } = await t.pause();
  await t.resume();
  await t.stop();
  const bytes: Uint8Array = await t.save({ dtype: 'float16' });
  const model: LongShortTransformerWorker = await t.toModel({ threads: 1 });
  const v: number = (await t.validate()).nats;
  const text: string = await t.sample(32);
  const busy: boolean = t.running || t.paused;
  void [reason, p, bytes, model, v, text, busy, t.stepsDone, t.sizes.train_bytes];
  // @ts-expect-error data is required
  await TrainerWorker.create({ init: w });
  // @ts-expect-error step() is synchronous on the Trainer only
  t.step();
  t.dispose();
}
void trainerWorkerTypes;
