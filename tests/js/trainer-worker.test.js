// TrainerWorker: the Trainer in a worker_threads Worker. Held-out loss goes
// down; progress events arrive on this thread; pause keeps run() pending and
// resume continues it; stop settles it; the saved weights load back with the
// same logits; bad input rejects naming the problem; dispose stops it.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LongShortTransformer, LongShortTransformerWorker, Trainer, TrainerWorker } from '../../js/index.js';
import { maxAbsDiff } from './helpers.js';

const CONFIG = { num_tokens: 256, dim: 32, depth: 2, heads: 2, dim_head: 16, max_seq_len: 64, window_size: 8, causal: true };
// A short, regular text: a small model learns it within a few dozen steps.
const TEXT = Array.from({ length: 120 }, (_, i) => `line ${i % 10}: the quick brown fox jumps over the lazy dog.\n`).join('');
const OPTIONS = { config: CONFIG, data: TEXT, seq: 32, batch: 4, accum: 1, lr: 3e-3, steps: 40, valid_batches: 2, seed: 1, threaded: false };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Waits until `cond()` (a machine shared with other work may be slow), at most 30 s. */
async function until(cond) {
  const end = Date.now() + 30_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(20);
  }
}

test('TrainerWorker: held-out loss goes down, events, the same run as the Trainer, save -> load', async () => {
  const t = await TrainerWorker.create(OPTIONS);
  try {
    assert.equal(t.config.dim, 32);
    assert.equal(t.options.seq, 32);
    assert.equal(t.runtime.variant, 'single');
    assert.equal(t.sizes.train_bytes + t.sizes.valid_bytes, TEXT.length);
    const before = await t.validate();
    const events = [];
    const r = await t.run({ valid_every: 10, sample_every: 20, sample_len: 16, progress_callback: (e) => { events.push(e); } });
    assert.equal(r.finish_reason, 'steps');
    assert.equal(r.steps_run, 40);
    assert.equal(t.stepsDone, 40);
    assert.equal(t.running, false);
    const valid = events.filter((e) => e.kind === 'valid');
    assert.deepEqual(valid.map((e) => e.step), [10, 20, 30, 40]);
    assert.deepEqual(events.filter((e) => e.kind === 'sample').map((e) => e.step), [20, 40]);
    assert.ok(events.filter((e) => e.kind === 'step').every((e) => e.tokens_per_second > 0 && e.eta_seconds >= 0));
    assert.ok(valid.at(-1).loss < before.nats - 0.5, `held-out loss ${before.nats} -> ${valid.at(-1).loss}`);
    assert.equal(r.valid.nats, valid.at(-1).loss);

    // The same run as the Trainer on this thread (same seed, same windows).
    const local = await Trainer.create(OPTIONS);
    const want = await local.run({ valid_every: 0 });
    assert.equal(r.loss, want.loss);
    const bytes = await t.save();
    const model = await LongShortTransformer.load(bytes, { threaded: false });
    const fromTrainer = await local.toModel({ threaded: false });
    const ids = [[...new TextEncoder().encode('line 3: the quick')]];
    assert.ok(maxAbsDiff(model.forward(ids).data, fromTrainer.forward(ids).data) === 0, 'the Worker\'s weights are the Trainer\'s');
    // toModel(): generation with the new weights at once.
    const gen = await t.toModel({ threaded: false });
    assert.ok(maxAbsDiff((await gen.forward(ids)).data, model.forward(ids).data) === 0);
    const text = (await gen.generate('line 1', { max_new_tokens: 30, do_sample: false })).text;
    assert.match(text, /fox|dog|line|quick/, `the fine-tuned model writes the text: ${JSON.stringify(text)}`);
    for (const x of [model, fromTrainer, gen, local]) x.dispose();
  } finally {
    t.dispose();
  }
  assert.throws(() => t.config, /trainer was disposed/);
  await assert.rejects(t.save(), /trainer was disposed/);
});

test('TrainerWorker: pause keeps run() pending, save while paused, resume, stop settles it, signal aborts', async () => {
  const t = await TrainerWorker.create({ ...OPTIONS, steps: 100000 });
  try {
    const kinds = [];
    let settled = false;
    const run = t.run({ valid_every: 5, progress_callback: (e) => { kinds.push(`${e.kind}${e.step}`); } });
    run.then(() => { settled = true; });
    await sleep(150);
    const p = await t.pause();
    assert.equal(p.paused, true);
    assert.equal(t.paused, true);
    assert.equal(kinds.at(-1), `pause${p.step}`);
    // A pause waits for the validation due at its step.
    if (p.step % 5 === 0) assert.equal(kinds.at(-2), `valid${p.step}`);
    await sleep(300);
    const seen = kinds.length;
    assert.equal(settled, false, 'run() is pending while paused');
    assert.ok((await t.save()).length > 1000, 'save() works while paused');
    assert.equal(kinds.length, seen, 'no steps while paused');
    await t.resume();
    await until(() => kinds.some((k) => k.startsWith('step') && Number(k.slice(4)) > p.step));
    assert.ok(kinds.includes(`resume${p.step}`));
    await t.stop();
    assert.equal(settled, true, 'stop() resolves after run() settled');
    const r = await run;
    assert.equal(r.finish_reason, 'stop');
    assert.ok(r.steps_run > p.step && r.steps_run < 100000);
    assert.equal(t.running, false);

    // Stop while paused ends at once; an AbortSignal stops too; a callback's false too.
    const again = t.run({ steps: 1000 });
    await sleep(60);
    await t.pause();
    await t.stop();
    assert.equal((await again).finish_reason, 'stop');
    const ac = new AbortController();
    const aborted = t.run({ steps: 1000, signal: ac.signal, progress_callback: () => { ac.abort(); } });
    assert.equal((await aborted).finish_reason, 'abort');
    const byCallback = await t.run({ steps: 1000, progress_callback: (e) => e.step < t.stepsDone + 100 && false });
    assert.equal(byCallback.finish_reason, 'callback');
    assert.ok(byCallback.steps_run < 1000, 'the callback stops it (a few steps later: the message crosses threads)');
    // Nothing to pause or stop without a run.
    assert.deepEqual(await t.pause(), { paused: false, step: t.stepsDone });
    await t.stop();
    await assert.rejects(Promise.all([t.run({ steps: 3 }), t.run({ steps: 3 })]), /already running/);
  } finally {
    t.dispose();
  }
});

test('TrainerWorker: bad input rejects naming the problem; a model as init; dispose during a run', async () => {
  await assert.rejects(TrainerWorker.create({ ...OPTIONS, data: 'too short' }),
    /^Error: TrainerWorker\.create: the training data has 9 bytes .* too few for windows of seq \+ 1 = 33 bytes/);
  await assert.rejects(TrainerWorker.create({ ...OPTIONS, data: '' }), /TrainerWorker\.create: the training data has 0 bytes/);
  await assert.rejects(TrainerWorker.create({ ...OPTIONS, data: undefined }), /data is required/);
  await assert.rejects(TrainerWorker.create({ ...OPTIONS, data: 42 }), /data must be text/);
  await assert.rejects(TrainerWorker.create({ ...OPTIONS, lr: -1 }), /TrainerWorker\.create: lr must be/);
  await assert.rejects(TrainerWorker.create({ ...OPTIONS, speed: 'fast' }), /TrainerWorker\.create: unknown option 'speed'/);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(TrainerWorker.create({ ...OPTIONS, signal: ac.signal }), { name: 'AbortError' });

  // Fine-tuning a model held by a LongShortTransformerWorker: its weights, its config.
  const m = await LongShortTransformerWorker.create({ ...CONFIG, seed: 5, threaded: false });
  const { config: _c, ...rest } = OPTIONS;
  const t = await TrainerWorker.create({ ...rest, init: m });
  assert.equal(t.config.dim, CONFIG.dim);
  const ids = [[1, 2, 3]];
  const back = await LongShortTransformer.load(await t.save(), { threaded: false });
  assert.equal(maxAbsDiff(back.forward(ids).data, (await m.forward(ids)).data), 0, 'starts from the model\'s weights');
  back.dispose();
  m.dispose();
  const run = t.run({ steps: 1000 });
  await sleep(50);
  t.dispose();
  await assert.rejects(run, /trainer was disposed/);
});
