// Training through the JS API (js/training/): the golden `train_grad` and
// `train_steps` cases (every one in LST_GOLDEN_DIR, default tests/fixtures)
// with both wasm builds, a small run whose loss goes down, the same run as
// the native `lst train`, save -> load, progress events, abort, and errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';

import { LongShortTransformer, SEED_TRAIN_CONFIG, SafetensorsFile, Trainer } from '../../js/index.js';
import { ROOT, VARIANTS, goldenCases, maxAbsDiff, readBytes } from './helpers.js';

// tests/fixtures/GOLDEN_README.md
const LOSS_TOL = 1e-5;
const GRAD_ABS_TOL = 1e-6;
const GRAD_REL_TOL = 1e-4;
const FINAL_WEIGHT_TOL = 2e-5;

const gradCases = goldenCases('train_grad');
const stepCases = goldenCases('train_steps');

for (const variant of VARIANTS) {
  for (const c of gradCases) {
    test(`golden ${c.name} train_grad (${variant.name})`, async () => {
      const bytes = readBytes(c.path);
      const file = new SafetensorsFile(bytes);
      const tokens = file.get('input.tokens');
      const mask = file.has('input.mask') ? file.get('input.mask') : null;
      const lossRef = file.get('output.loss').data[0];
      const { loss, gradients } = await Trainer.gradients(bytes, tokens.data, {
        dims: tokens.dims, mask: mask?.data, ...variant.options,
      });
      const lossErr = Math.abs(loss - lossRef);
      let worst = 0;
      let worstName = '';
      let maxErr = 0;
      for (const t of gradients.tensors) {
        const ref = file.get(`grad.${t.name}`);
        assert.deepEqual(ref.dims, t.shape, `${t.name}: shape`);
        const g = gradients.get(t.name);
        for (let i = 0; i < ref.data.length; i++) {
          const d = Math.abs(g[i] - ref.data[i]);
          const r = d / (GRAD_ABS_TOL + GRAD_REL_TOL * Math.abs(ref.data[i]));
          if (!(d <= maxErr)) maxErr = d;
          if (!(r <= worst)) { worst = r; worstName = t.name; }
        }
      }
      const ok = lossErr <= LOSS_TOL && worst <= 1;
      console.log(`golden ${c.name.padEnd(22)} train_grad  js-${variant.name.padEnd(12)} loss_err ${lossErr.toPrecision(3)}  ` +
        `max_grad_err ${maxErr.toPrecision(3)} (${gradients.tensors.length} tensors)  worst err/tol ${worst.toPrecision(3)} (${worstName})  ${ok ? 'ok' : 'FAIL'}`);
      assert.ok(lossErr <= LOSS_TOL, `${c.name}: loss error ${lossErr} > ${LOSS_TOL}`);
      assert.ok(worst <= 1, `${c.name}: gradient of ${worstName} off by ${worst}x the tolerance`);
    });
  }

  for (const c of stepCases) {
    test(`golden ${c.name} train_steps (${variant.name})`, async () => {
      const bytes = readBytes(c.path);
      const file = new SafetensorsFile(bytes);
      const md = file.metadata;
      const batches = file.get('input.batches');
      const mask = file.has('input.mask') ? file.get('input.mask') : null;
      const lossesRef = file.get('output.losses').data;
      const r = await Trainer.trainSteps(bytes, batches, {
        lr: Number(md.lr ?? 3e-4), clip: Number(md.clip ?? 0.5), mask: mask?.data, ...variant.options,
      });
      const lossErr = maxAbsDiff(r.losses, lossesRef);
      let weightErr = 0;
      let worstName = '';
      for (const t of r.weights.tensors) {
        const d = maxAbsDiff(r.weights.get(t.name), file.get(`final.${t.name}`).data);
        if (!(d <= weightErr)) { weightErr = d; worstName = t.name; }
      }
      const [steps, accum] = batches.dims;
      const ok = lossErr <= LOSS_TOL && weightErr <= FINAL_WEIGHT_TOL;
      console.log(`golden ${c.name.padEnd(22)} train_steps js-${variant.name.padEnd(12)} ${steps} steps x ${accum} micro-batches  ` +
        `losses max_abs_err ${lossErr.toPrecision(3)}  final weights max_abs_err ${weightErr.toPrecision(3)} (${worstName})  ${ok ? 'ok' : 'FAIL'}`);
      assert.ok(lossErr <= LOSS_TOL, `${c.name}: loss error ${lossErr}`);
      assert.ok(weightErr <= FINAL_WEIGHT_TOL, `${c.name}: final weight ${worstName} off by ${weightErr}`);
    });
  }
}

test('there are golden train_grad and train_steps cases', { skip: process.env.LST_GOLDEN_DIR && 'a user golden dir may hold other kinds' }, () => {
  assert.ok(gradCases.length > 0 && stepCases.length > 0);
});

// A small byte-level model and a text it can learn within a few dozen steps.
const TINY = Object.freeze({
  num_tokens: 256, dim: 48, depth: 2, heads: 2, dim_head: 24, max_seq_len: 64, window_size: 16, segment_size: 16, r: 1,
});
const LINES = ['To be, or not to be, that is the question.', 'Whether tis nobler in the mind to suffer',
  'The slings and arrows of outrageous fortune,', 'Or to take arms against a sea of troubles'];
const TEXT = Array.from({ length: 120 }, (_, i) => LINES[(i * 7) % LINES.length]).join('\n');

test('a small run from JS: the loss goes down; events, validation, samples', async () => {
  const trainer = await Trainer.create({
    config: TINY, data: TEXT, batch: 4, accum: 2, seq: 64, steps: 40, lr: 3e-3, clip: 1, warmup: 5, cosine: true,
    seed: 5, threaded: false,
  });
  try {
    assert.equal(trainer.config.dim, 48);
    assert.equal(trainer.options.seq, 64);
    const before = trainer.validate();
    assert.ok(Math.abs(before.bits - before.nats / Math.LN2) < 1e-12);
    const events = [];
    const r = await trainer.run({ valid_every: 20, sample_every: 40, sample_len: 24, progress_callback: (e) => { events.push(e); } });
    assert.equal(r.steps_done, 40);
    assert.equal(r.finish_reason, 'steps');
    const steps = events.filter((e) => e.kind === 'step');
    assert.deepEqual(steps.map((e) => e.step), Array.from({ length: 40 }, (_, i) => i + 1));
    for (const e of steps) {
      assert.ok(Number.isFinite(e.loss) && e.tokens_per_second > 0 && e.eta_seconds >= 0 && e.steps === 40);
    }
    assert.ok(steps[2].lr < steps[4].lr, 'warmup raises the learning rate');
    assert.ok(steps[39].lr < steps[10].lr, 'cosine lowers it');
    assert.deepEqual(events.filter((e) => e.kind === 'valid').map((e) => e.step), [20, 40]);
    const sample = events.find((e) => e.kind === 'sample');
    assert.ok(sample && sample.text.startsWith(sample.prime) && sample.text.length > sample.prime.length);
    const first = steps.slice(0, 3).reduce((a, e) => a + e.loss, 0) / 3;
    const last = steps.slice(-3).reduce((a, e) => a + e.loss, 0) / 3;
    const after = trainer.validate();
    console.log(`train from JS: loss ${first.toFixed(3)} -> ${last.toFixed(3)}, validation ${before.nats.toFixed(3)} -> ${after.nats.toFixed(3)} nats/byte, ${Math.round(r.tokens_per_second)} tok/s`);
    assert.ok(last < first - 1.0, `training loss went from ${first} to ${last}`);
    assert.ok(after.nats < before.nats - 1.0, `validation loss went from ${before.nats} to ${after.nats}`);
    assert.deepEqual(r.valid, after);  // fixed validation windows: the same value again
    // step() by hand continues the count; sample() with a prime starts with it
    const s = trainer.step();
    assert.equal(s.step, 41);
    assert.ok(trainer.sample(16, 'To be').startsWith('To be'));
  } finally {
    trainer.dispose();
  }
});

test('the same run natively (lst train) and through the wasm: same losses', { skip: !existsSync(join(ROOT, 'build/lst')) && 'build/lst missing' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lst-train-'));
  try {
    const data = join(dir, 'text.txt');
    writeFileSync(data, TEXT);
    // The same initial weights for both (the seeded init draws from the C++
    // library's std::normal_distribution, which differs between libstdc++
    // and Emscripten's libc++).
    const init = join(dir, 'init.safetensors');
    const fresh = await LongShortTransformer.create({ ...TINY, seed: 4, threaded: false });
    writeFileSync(init, fresh.save());
    fresh.dispose();
    const r = spawnSync(join(ROOT, 'build/lst'), ['train', '--data', data, '--init', init, '--steps', '4',
      '--batch', '2', '--accum', '2', '--seq', '48', '--lr', '1e-3', '--clip', '0.5', '--valid-every', '0', '--sample-every', '0',
      '--threads', '1', '--seed', '9', '--out', join(dir, 'out')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const native = readFileSync(join(dir, 'out', 'log.csv'), 'utf8').trim().split('\n').slice(1)
      .map((l) => l.split(',')).filter((f) => f[1] === 'train').map((f) => Number(f[2]));
    const trainer = await Trainer.create({ init, data: { path: data }, batch: 2, accum: 2, seq: 48, steps: 4, lr: 1e-3,
      clip: 0.5, seed: 9, threaded: false });
    try {
      const js = [];
      await trainer.run({ valid_every: 0, progress_callback: (e) => { js.push(e.loss); } });
      assert.equal(native.length, 4);
      const err = maxAbsDiff(js, native);
      console.log(`lst train vs JS Trainer, 4 steps: losses max_abs_diff ${err.toPrecision(3)}`);
      assert.ok(err < 1e-3, `native ${native} vs wasm ${js}`);
      // the native checkpoint holds the same weights (to float rounding)
      const a = new SafetensorsFile(readBytes(join(dir, 'out', 'model.safetensors')));
      const b = new SafetensorsFile(trainer.save());
      assert.deepEqual(b.names.slice().sort(), a.names.slice().sort());
      assert.ok(maxAbsDiff(a.get('token_emb.weight').data, b.get('token_emb.weight').data) < 1e-4);
    } finally {
      trainer.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('save -> LongShortTransformer.load round trip, f16, toModel, fine-tuning from a model', async () => {
  const trainer = await Trainer.create({ config: TINY, data: TEXT, batch: 2, accum: 1, seq: 32, steps: 3, lr: 1e-3, seed: 1, threaded: false });
  try {
    for (let i = 0; i < 3; i++) trainer.step();
    const bytes = trainer.save();
    const file = new SafetensorsFile(bytes);
    assert.deepEqual(JSON.parse(file.metadata.config), { ...TINY, causal: true, ff_mult: 4 });
    // the seed's state_dict names, as a LongShortTransformer saves them
    const fresh = await LongShortTransformer.create({ ...TINY, threaded: false });
    const names = new SafetensorsFile(fresh.save()).names;
    fresh.dispose();
    assert.deepEqual(file.names.slice().sort(), names.slice().sort());
    const model = await LongShortTransformer.load(bytes, { threaded: false });
    const again = new SafetensorsFile(model.save());
    for (const name of file.names) assert.equal(maxAbsDiff(again.get(name).data, file.get(name).data), 0, name);
    // toModel() is the same model; the f16 file is close
    const viaTo = await trainer.toModel();
    const ids = Array.from(new TextEncoder().encode('To be, or not'));
    const l1 = model.forward(ids).data;
    assert.equal(maxAbsDiff(viaTo.forward(ids).data, l1), 0);
    const half = await LongShortTransformer.load(trainer.save({ dtype: 'float16' }), { threaded: false });
    assert.equal(new SafetensorsFile(trainer.save({ dtype: 'float16' })).get('token_emb.weight').dtype, 'F16');
    assert.ok(maxAbsDiff(half.forward(ids).data, l1) < 0.05);
    // fine-tuning: init from the model continues from its weights
    const tuned = await Trainer.create({ init: model, data: TEXT, batch: 2, accum: 1, seq: 32, steps: 1, threaded: false });
    assert.deepEqual(tuned.config, model.config);
    assert.equal(maxAbsDiff(new SafetensorsFile(tuned.save()).get('to_logits.1.weight').data, file.get('to_logits.1.weight').data), 0);
    tuned.dispose();
    for (const m of [model, viaTo, half]) m.dispose();
  } finally {
    trainer.dispose();
  }
});

test('run() stops on an AbortSignal and when the callback returns false; threaded build trains too', async () => {
  const trainer = await Trainer.create({ config: TINY, data: TEXT, batch: 2, accum: 1, seq: 32, steps: 100, threaded: true, threads: 2 });
  try {
    assert.equal(trainer.runtime.variant, 'threaded');
    assert.equal(trainer.runtime.threads, 2);
    const ac = new AbortController();
    const r = await trainer.run({ signal: ac.signal, valid_every: 0, progress_callback: (e) => { if (e.step === 3) ac.abort(); } });
    assert.equal(r.finish_reason, 'abort');
    assert.equal(r.steps_done, 3);
    const r2 = await trainer.run({ steps: 10, valid_every: 0, progress_callback: (e) => e.step < 5 });
    assert.equal(r2.finish_reason, 'callback');
    assert.equal(trainer.stepsDone, 5);
    const r3 = await trainer.run({ steps: 2, valid_every: 1 });
    assert.equal(r3.steps_done, 7);
    assert.ok(r3.valid.nats > 0);
  } finally {
    trainer.dispose();
  }
  assert.throws(() => trainer.step(), /disposed/);
});

test('bad options and data name the problem; the trainer keeps working', async () => {
  const base = { config: TINY, data: TEXT, batch: 2, accum: 1, seq: 32, threaded: false };
  const bad = [
    [{ ...base, frobnicate: 1 }, /unknown option 'frobnicate'/],
    [{ ...base, batch: 0 }, /batch must be an integer in \[1, /],
    [{ ...base, steps: 2.5 }, /steps must be an integer/],
    [{ ...base, lr: 1e30 }, /lr must be in \(0, 10\]/],
    [{ ...base, lr: -1 }, /lr must be in \(0, 10\]/],
    [{ ...base, valid_fraction: 1.5 }, /valid_fraction must be a number in \(0, 1\)/],
    [{ ...base, preset: 'fast' }, /unknown preset/],
    [{ ...base, betas: [0.9] }, /betas must be/],
    [{ ...base, cosine: 'yes' }, /cosine must be true or false/],
    [{ ...base, data: undefined }, /data is required/],
    [{ ...base, data: 42 }, /data must be a Uint8Array/],
    [{ ...base, config: undefined }, /pass config/],
    [{ ...base, config: { ...TINY, dim: 0 } }, /dim/],
    [{ ...base, config: { ...TINY, num_tokens: 64 } }, /num_tokens >= 256/],
    [{ ...base, data: 'too short for a window' }, /too few for windows of seq \+ 1 = 33/],
    [{ ...base, data: TEXT.slice(0, 300) }, /validation data .* too short for windows of seq \+ 1 = 33/],
    [{ ...base, config: undefined, init: new Uint8Array([1, 2, 3]) }, /safetensors|too short/],
    [{ ...base, data: { path: '/no/such/file.txt' } }, /no such file/],
    [{ ...base, threaded: false, threads: 2 }, /single-threaded build runs 1 thread/],
    [{ ...base, data: new Uint8Array([0x1f, 0x8b, 1, 2, 3]) }, /corrupt gzip data/],
    [{ ...base, config: SEED_TRAIN_CONFIG, batch: 64, seq: 1024 }, /batch 64 x seq 1024 needs about [\d.]+ GB .* more than the 4 GB WebAssembly heap/],
  ];
  for (const [options, re] of bad) await assert.rejects(Trainer.create(options), re, JSON.stringify(Object.keys(options)));
  await assert.rejects(Trainer.gradients(null, [[1, 2, 9]], { config: { ...TINY, num_tokens: 8 }, threaded: false }), /token id 9 at \[0, 2\] is out of range \[0, 8\)/);
  await assert.rejects(Trainer.gradients(null, [[1]], { config: TINY, threaded: false }), /at least 2 per row/);
  await assert.rejects(Trainer.trainSteps(null, { data: [1, 2], dims: [1, 2] }, { config: TINY }), /dims: \[steps, accum, b, n\+1\]/);

  // gzip data (enwik8.gz) is inflated, as lst train does
  const gz = await Trainer.create({ ...base, data: new Uint8Array(gzipSync(TEXT)) });
  assert.equal(gz.sizes.train_bytes + gz.sizes.valid_bytes, new TextEncoder().encode(TEXT).length);
  gz.dispose();

  const trainer = await Trainer.create(base);
  try {
    assert.throws(() => trainer.sample(-1), /len must be an integer/);
    assert.throws(() => trainer.sample(4, ''), /prime is empty/);
    assert.throws(() => trainer.save({ dtype: 'int8' }), /dtype must be/);
    await assert.rejects(trainer.run({ steps: -1 }), /steps must be an integer >= 0/);
    await assert.rejects(trainer.run({ bogus: 1 }), /unknown option 'bogus'/);
    const s = trainer.step();
    assert.equal(s.step, 1);
    assert.ok(Number.isFinite(s.loss) && s.grad_norm > 0);
    assert.equal(typeof trainer.sample(8), 'string');
  } finally {
    trainer.dispose();
  }
});

test('dropout (the seed\'s ff_dropout / attn_dropout): seeded, off at p = 0, written to the file, both builds', async () => {
  const run = async (config, options = {}) => {
    const trainer = await Trainer.create({ config, data: TEXT, batch: 2, accum: 1, seq: 32, steps: 3, lr: 1e-3, seed: 5, ...options });
    try {
      const losses = [];
      for (let i = 0; i < 3; i++) losses.push(trainer.step().loss);
      return { losses, file: new SafetensorsFile(trainer.save()) };
    } finally {
      trainer.dispose();
    }
  };
  const plain = await run(TINY, { threaded: false });
  const zero = await run({ ...TINY, ff_dropout: 0, attn_dropout: 0 }, { threaded: false });
  assert.deepEqual(zero.losses, plain.losses);  // p = 0 is no dropout, bit for bit
  const dropped = { ...TINY, ff_dropout: 0.2, attn_dropout: 0.1 };
  const a = await run(dropped, { threaded: false });
  const b = await run(dropped, { threaded: true, threads: 2 });
  assert.deepEqual(a.losses, b.losses);  // the same masks in both builds (and every run)
  assert.notDeepEqual(a.losses, plain.losses);
  const config = JSON.parse(a.file.metadata.config);
  assert.equal(config.ff_dropout, 0.2);  // the seed's constructor takes both keys
  assert.equal(config.attn_dropout, 0.1);
  assert.equal(JSON.parse(plain.file.metadata.config).ff_dropout, undefined);
  await assert.rejects(Trainer.create({ config: { ...TINY, ff_dropout: 1 }, data: TEXT, seq: 32, threaded: false }),
    /'ff_dropout' must be a number in \[0, 1\)/);
});
