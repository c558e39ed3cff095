// Hostile inputs through LongShortTransformerWorker (both builds), the
// Trainer (both builds) and TrainerWorker. Rows { name, run, expect } as in
// api.test.js. After every Worker case the Worker's model gives
// bit-identical logits; after every Trainer case the trainer holds
// bit-identical weights (its save()) and gives the same validation loss.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { LongShortTransformer, LongShortTransformerWorker, SafetensorsFile, Trainer, TrainerWorker } from '../../js/index.js';
import { SMALL, VARIANTS, tensorsOf, writeSafetensors } from '../js/helpers.js';
import { assertSameLogits, outcome } from './hostile.js';

const TOKENS = [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]];
const BYTES = { ...SMALL, num_tokens: 256 };
const TEXT = 'To be, or not to be, that is the question: whether tis nobler in the mind to suffer. '.repeat(8);
const TRAIN = { config: BYTES, data: TEXT, seq: 16, batch: 2, steps: 5, valid_every: 0, sample_every: 0, seed: 1 };
const rssAtStart = process.memoryUsage().rss;

function workerCases(ctx) {
  const m = () => ctx.worker;
  const fn = () => 1;
  return [
    { name: 'a function in the mask', run: () => m().forward([1, 2], { mask: [fn, 1] }), expect: /forward: an argument cannot be sent to the model worker/ },
    { name: 'a function in an unknown generate option', run: () => m().generate([1], { max_new_tokens: 2, extra: fn }), expect: /generate: an argument cannot be sent to the model worker/ },
    { name: 'token id out of range', run: () => m().forward([1, 2, 256]), expect: /token id 256 at \[0, 2\] is out of range \[0, 256\)/ },
    { name: 'ragged rows', run: () => m().forward([[1], [1, 2]]), expect: /rows have different lengths/ },
    { name: 'out of the wrong size', run: () => m().forward([1, 2], { out: new Float32Array(3) }), expect: /out must be a Float32Array of 1 \* 2 \* 256 = 512 logits/ },
    { name: 'generate temperature NaN', run: () => m().generate([1], { temperature: NaN }), expect: /temperature must be a finite number/ },
    { name: 'generate options null', run: () => m().generate([1], null), expect: /generate: options must be an object, got null/ },
    { name: 'generate callback "x"', run: () => m().generate([1], { callback: 'x' }), expect: /callback must be a function/ },
    { name: 'stream with a bad option', run: async () => { for await (const s of m().stream([1], { top_p: 3 })) return s; }, expect: /top_p must be in \(0, 1\]/ },
    { name: 'evaluate seq "8"', run: () => m().evaluate('abcdef', { seq: '8' }), expect: /evaluate: seq must be an integer, got "8"/ },
    { name: 'save dtype int4', run: () => m().save({ dtype: 'int4' }), expect: /dtype must be 'float32', 'float16' or 'int8', got 'int4'/ },
    { name: 'aborting the second of two generates leaves the first running', run: async () => {
      const ac = new AbortController();
      const first = m().generate([1, 2], { max_new_tokens: 20, seed: 4 });
      const second = m().generate([1, 2], { max_new_tokens: 1000, seed: 5, signal: ac.signal, callback: (s) => { if (s.index === 1) ac.abort(); } });
      return Promise.all([first, second]);
    }, expect: ([a, b]) => {
      assert.equal(a.finish_reason, 'length');
      assert.equal(a.tokens.length, 20);
      assert.equal(b.finish_reason, 'abort');
    } },
    { name: 'a callback returning false on the second of two generates leaves the first running', run: () => Promise.all([
      m().generate([3], { max_new_tokens: 15 }),
      m().generate([3], { max_new_tokens: 1000, callback: () => false }),
    ]), expect: ([a, b]) => {
      assert.equal(a.tokens.length, 15);
      assert.equal(b.finish_reason, 'callback');
    } },
    { name: 'dispose during generate (another Worker)', run: async () => {
      const w = await LongShortTransformerWorker.create({ ...BYTES, seed: 9, ...ctx.opts });
      const running = w.generate([1], { max_new_tokens: 100000, callback: (s) => { if (s.index === 2) w.dispose(); } });
      return running;
    }, expect: /model was disposed/ },
    { name: 'load garbage bytes', run: () => LongShortTransformerWorker.load(new Uint8Array(64), ctx.opts), expect: /safetensors/ },
    { name: 'create depth 1e6', ms: 20_000, run: () => LongShortTransformerWorker.create({ ...BYTES, depth: 1e6, ...ctx.opts }), expect: /depth must be <= \d+, got 1000000/ },
    { name: 'load progress_callback "x"', run: () => LongShortTransformerWorker.load(new Uint8Array(64), { progress_callback: 'x' }), expect: /progress_callback must be a function/ },
    { name: 'load /dev/zero', run: () => LongShortTransformerWorker.load('/dev/zero', ctx.opts), expect: /not a regular file/ },
    { name: 'create threads 4294967297', run: () => LongShortTransformerWorker.create({ ...BYTES, threads: 4294967297 }), expect: /threads must be an integer in \[1, \d+\]/ },
  ];
}

function trainerCases(ctx) {
  const create = (o) => async () => { const t = await Trainer.create({ ...TRAIN, ...ctx.opts, ...o }); t.dispose(); return t; };
  const t = () => ctx.trainer;
  return [
    { name: 'empty data', run: create({ data: '' }), expect: /the training data has 0 bytes .*too few for windows of seq \+ 1 = 17 bytes/ },
    { name: 'data shorter than a sequence', run: create({ data: 'short' }), expect: /the training data has \d bytes .*too few for windows of seq \+ 1 = 17 bytes/ },
    { name: 'lr 1e30', run: create({ lr: 1e30 }), expect: /lr must be in \(0, 10\], got 1e\+30/ },
    { name: 'lr 0', run: create({ lr: 0 }), expect: /lr must be in \(0, 10\], got 0/ },
    { name: 'batch 0', run: create({ batch: 0 }), expect: /batch must be an integer in \[1, \d+\], got 0/ },
    { name: 'steps -1', run: create({ steps: -1 }), expect: /steps must be an integer in \[0, \d+\], got -1/ },
    { name: 'seq 1.5', run: create({ seq: 1.5 }), expect: /seq must be an integer in \[1, \d+\], got 1\.5/ },
    { name: 'seq "16"', run: create({ seq: '16' }), expect: /seq must be an integer.*got "16"/ },
    { name: 'betas [1, 1]', run: create({ betas: [1, 1] }), expect: /betas\[0\] must be in \[0, 1\), got 1/ },
    { name: 'clip NaN', run: create({ clip: NaN }), expect: /clip must be a finite number/ },
    { name: 'unknown option', run: create({ epochs: 3 }), expect: /unknown option 'epochs'/ },
    { name: 'valid_fraction 1.5', run: create({ valid_fraction: 1.5 }), expect: /valid_fraction must be a number in \(0, 1\), got 1\.5/ },
    { name: 'preset "fast"', run: create({ preset: 'fast' }), expect: /unknown preset "fast"/ },
    { name: 'data a number', run: create({ data: 42 }), expect: /data must be a Uint8Array, a string of text/ },
    { name: 'no config and no init', run: create({ config: undefined }), expect: /pass config \(the reference package's kwargs\) or init/ },
    { name: 'config depth 1e6', ms: 5000, run: create({ config: { ...BYTES, depth: 1e6 } }), expect: /depth must be <= \d+, got 1000000/ },
    { name: 'init garbage bytes', run: create({ config: undefined, init: new Uint8Array(64) }), expect: /safetensors/ },
    { name: 'init /dev/zero', run: create({ config: undefined, init: '/dev/zero' }), expect: /not a regular file/ },
    { name: 'threads 0', run: create({ threads: 0 }), expect: /threads must be an integer in \[1, \d+\]/ },
    { name: 'run progress_callback "x"', run: () => t().run({ progress_callback: 'x' }), expect: /progress_callback must be a function/ },
    { name: 'run steps -1', run: () => t().run({ steps: -1 }), expect: /run: steps must be an integer >= 0, got -1/ },
    { name: 'run unknown option', run: () => t().run({ step: 1 }), expect: /unknown option 'step'/ },
    { name: 'sample -1 bytes', run: () => t().sample(-1), expect: /sample: len must be an integer >= 0, got -1/ },
    { name: 'save dtype int8', run: () => t().save({ dtype: 'int8' }), expect: /dtype must be 'float32' or 'float16'/ },
    { name: 'overflowing weights: a named non-finite error, the weights kept', run: async () => {
      const file = new SafetensorsFile(t().save());
      const tensors = tensorsOf(file);
      for (const x of Object.values(tensors)) x.data.fill(3e38);
      const huge = await Trainer.create({ ...TRAIN, ...ctx.opts, config: undefined, init: writeSafetensors(tensors, file.metadata) });
      try {
        const before = huge.save();
        let error = null;
        try { huge.step(); } catch (e) { error = e; }
        return { error, same: Buffer.compare(Buffer.from(before), Buffer.from(huge.save())) === 0, steps: huge.stepsDone };
      } finally {
        huge.dispose();
      }
    }, expect: ({ error, same, steps }) => {
      assert.ok(error, 'step() threw');
      assert.match(error.message, /(loss|gradient).*(not finite|non-finite|NaN|inf)/i);
      assert.ok(same, 'the weights before the failed step are kept');
      assert.equal(steps, 0);
    } },
    { name: 'Trainer.gradients with an id out of range', run: () => Trainer.gradients(null, [[1, 2, 300]], { config: BYTES, ...ctx.opts }), expect: /token id 300/ },
    { name: 'Trainer.trainSteps with dims that do not match', run: () => Trainer.trainSteps(null, { data: new Int32Array(10), dims: [1, 1, 2, 6] }, { config: BYTES, ...ctx.opts }),
      expect: /batches of dims \[1, 1, 2, 6\] need 12 ids, got 10/ },
  ];
}

const NAMES_W = workerCases({}).map((c) => c.name);
const NAMES_T = trainerCases({}).map((c) => c.name);

for (const variant of VARIANTS) {
  describe(`hostile inputs: LongShortTransformerWorker (${variant.name})`, () => {
    const ctx = { opts: variant.options };
    let reference;
    before(async () => {
      ctx.worker = await LongShortTransformerWorker.create({ ...BYTES, seed: 1, ...variant.options });
      reference = (await ctx.worker.forward(TOKENS)).data;
    });
    after(() => ctx.worker.dispose());
    let rows;
    NAMES_W.forEach((name, i) => test(name, { timeout: 40_000 }, async () => {
      rows ??= workerCases(ctx);
      await outcome(rows[i]);
      assertSameLogits((await ctx.worker.forward(TOKENS)).data, reference, 'the Worker model after the case');
    }));
  });

  describe(`hostile inputs: Trainer (${variant.name})`, () => {
    const ctx = { opts: variant.options };
    let weights;
    let valid;
    before(async () => {
      ctx.trainer = await Trainer.create({ ...TRAIN, ...variant.options });
      ctx.trainer.step();
      weights = Buffer.from(ctx.trainer.save());
      valid = ctx.trainer.validate().nats;
    });
    after(() => ctx.trainer.dispose());
    let rows;
    NAMES_T.forEach((name, i) => test(name, { timeout: 40_000 }, async () => {
      rows ??= trainerCases(ctx);
      await outcome(rows[i]);
      assert.ok(Buffer.compare(Buffer.from(ctx.trainer.save()), weights) === 0, 'the trainer holds the same weights after the case');
      assert.equal(ctx.trainer.validate().nats, valid);
    }));
  });
}

describe('hostile inputs: TrainerWorker', () => {
  const rows = [
    { name: 'data shorter than a sequence', run: () => TrainerWorker.create({ ...TRAIN, threaded: false, data: 'short' }),
      expect: /TrainerWorker\.create: the training data has \d bytes .*too few for windows of seq \+ 1 = 17 bytes/ },
    { name: 'unknown option', run: () => TrainerWorker.create({ ...TRAIN, threaded: false, epochs: 2 }), expect: /unknown option 'epochs'/ },
    { name: 'data a function', run: () => TrainerWorker.create({ ...TRAIN, threaded: false, data: () => 'x' }), expect: /data must be text/ },
    { name: 'a function in the config', run: () => TrainerWorker.create({ ...TRAIN, threaded: false, config: { ...BYTES, dim: () => 32 } }),
      expect: /cannot be sent to the trainer worker|'dim' must be an integer/ },
    { name: 'lr 1e30', run: () => TrainerWorker.create({ ...TRAIN, threaded: false, lr: 1e30 }), expect: /lr must be in \(0, 10\], got 1e\+30/ },
    { name: 'run progress_callback "x" (documented: refused before the run)', run: async () => {
      const t = await TrainerWorker.create({ ...TRAIN, threaded: false });
      try {
        return await t.run({ progress_callback: 'x' });
      } finally {
        t.dispose();
      }
    }, expect: /progress_callback must be a function/ },
  ];
  for (const row of rows) test(row.name, { timeout: 40_000 }, () => outcome(row));
});

test('memory: the process grew by less than 500 MB over the suite', () => {
  const grown = (process.memoryUsage().rss - rssAtStart) / 1e6;
  process.stdout.write(`# hostile worker/trainer: RSS +${grown.toFixed(0)} MB\n`);
  assert.ok(grown < 500, `RSS grew by ${grown.toFixed(0)} MB`);
});
