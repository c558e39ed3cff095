// Generation through the JS API: the golden greedy cases (past max_seq_len)
// token for token with both builds, the same seed giving the same tokens
// natively and in Node, streaming, UTF-8 across tokens, abort, bad options.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { LongShortTransformer, SafetensorsFile } from '../../js/index.js';
import { ROOT, SMALL, VARIANTS, goldenCases, readBytes } from './helpers.js';
import { Utf8Stream } from '../../js/generation/text.js';

for (const variant of VARIANTS) {
  for (const c of goldenCases('generate')) {
    test(`golden ${c.name} generate (${variant.name})`, async () => {
      const bytes = readBytes(c.path);
      const file = new SafetensorsFile(bytes);
      const md = file.metadata;
      const prompt = file.get('input.prompt');
      const expected = Array.from(file.get('output.generated').data, Number);
      const model = await LongShortTransformer.load(bytes, variant.options);
      try {
        const [b, t] = prompt.dims;
        const L = Number(md.gen_len);
        const rows = [];
        for (let r = 0; r < b; r++) rows.push(Array.from(prompt.data.slice(r * t, (r + 1) * t), Number));
        const results = await model.generate(rows, {
          max_new_tokens: L, filter_thres: Number(md.filter_thres), temperature: Number(md.temperature ?? 1),
        });
        let mismatches = 0;
        results.forEach((res, r) => res.tokens.forEach((tok, i) => { mismatches += tok !== expected[r * L + i]; }));
        console.log(`golden ${c.name.padEnd(22)} generate js-${variant.name.padEnd(12)} ${b}x${L} tokens, ${mismatches} mismatches  ${mismatches ? 'FAIL' : 'ok'}`);
        assert.equal(mismatches, 0);
      } finally {
        model.dispose();
      }
    });
  }
}

test('same seed, same options: identical tokens natively and in Node', async (t) => {
  const lst = join(ROOT, 'build', 'lst');
  assert.ok(existsSync(lst), 'build/lst missing (npm test builds it)');
  const path = join(ROOT, 'tests/fixtures/v7_c_gen.safetensors');
  const prompt = [5, 9, 2, 33, 7];
  const model = await LongShortTransformer.load(path, { threaded: false });
  try {
    for (const opts of [{ seed: 11, temperature: 1.0, filter_thres: 0.5 }, { seed: 3, temperature: 0.8, top_p: 0.9 }]) {
      const args = ['generate', path, '--prompt-ids', prompt.join(','), '--max-new-tokens', '150', '--seed', String(opts.seed),
        '--temperature', String(opts.temperature), '--quiet'];
      if (opts.filter_thres !== undefined) args.push('--filter-thres', String(opts.filter_thres));
      if (opts.top_p !== undefined) args.push('--top-p', String(opts.top_p), '--top-k', '64');
      const r = spawnSync(lst, args, { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const native = r.stdout.trim().split(/\s+/).map(Number);
      const js = await model.generate(prompt, { max_new_tokens: 150, ...opts, ...(opts.top_p ? { top_k: 64 } : {}) });
      assert.deepEqual(js.tokens, native, `options ${JSON.stringify(opts)}`);
      assert.ok(new Set(js.tokens).size > 5, 'sampling produced varied tokens');
    }
  } finally {
    model.dispose();
  }
});

test('stream yields tokens as they are made, and abort stops between tokens', async () => {
  const model = await LongShortTransformer.create({ ...SMALL, num_tokens: 256, seed: 1, threaded: false });
  try {
    const steps = [];
    for await (const s of model.stream('To be', { max_new_tokens: 20, seed: 4 })) steps.push(s);
    assert.equal(steps.length, 20);
    assert.deepEqual(steps.map((s) => s.index), [...Array(20).keys()]);
    for (const s of steps) assert.ok(Number.isInteger(s.token) && typeof s.text === 'string' && s.ms >= 0);
    assert.equal(steps.at(-1).context_length, 5 + 19);
    const whole = await model.generate('To be', { max_new_tokens: 20, seed: 4 });
    assert.deepEqual(whole.tokens, steps.map((s) => s.token));
    assert.equal(whole.text, steps.map((s) => s.text).join(''));
    assert.equal(whole.finish_reason, 'length');

    const ac = new AbortController();
    const seen = [];
    const aborted = await model.generate('x', {
      max_new_tokens: 500, signal: ac.signal, callback: (s) => { seen.push(s); if (s.index === 6) ac.abort(); },
    });
    assert.equal(aborted.finish_reason, 'abort');
    assert.equal(aborted.tokens.length, 7);
    const stopped = await model.generate('x', { max_new_tokens: 50, callback: (s) => s.index < 2 });
    assert.equal(stopped.finish_reason, 'callback');
    assert.equal(stopped.tokens.length, 3);
    // eos is included, as in the reference package
    const eos = await model.generate('To be', { max_new_tokens: 20, seed: 4, eos_token: steps[3].token });
    const first = steps.findIndex((s) => s.token === steps[3].token);
    assert.equal(eos.tokens.length, first + 1);
    assert.equal(eos.finish_reason, 'eos');
    // attention weights of the latest token: [global | 2w local]
    const probes = [];
    for await (const s of model.stream('hello', { max_new_tokens: 12, attention: { layer: 1, head: 1 } })) if (s.attention) probes.push(s.attention);
    assert.ok(probes.length >= 10);
    const a = probes.at(-1);
    assert.equal(a.probs.length, a.num_global + 2 * SMALL.window_size);
    const sum = a.probs.reduce((x, y) => x + y, 0);
    assert.ok(Math.abs(sum - 1) < 1e-4, `probabilities sum to ${sum}`);
    // the model still does forward passes afterwards
    assert.equal(model.forward([1, 2, 3]).dims[2], 256);
  } finally {
    model.dispose();
  }
});

test('UTF-8 split across tokens comes out whole; invalid bytes become U+FFFD', () => {
  const bytes = Array.from(new TextEncoder().encode('é🙂'));
  const u = new Utf8Stream();
  const parts = bytes.map((b) => u.push(b));
  assert.deepEqual(parts, ['', 'é', '', '', '', '🙂']);
  const v = new Utf8Stream();
  assert.equal(v.push(0xff) + v.push(0x41), '\uFFFDA');
  const w = new Utf8Stream();
  assert.equal(w.push(0xf0) + w.flush(), '\uFFFD');
});

test('bad generation options name the problem; the model keeps working', async () => {
  const model = await LongShortTransformer.create({ ...SMALL, seed: 2, threaded: false });
  try {
    const cases = [
      [[1, 2], { max_new_tokens: -1 }, /max_new_tokens must be an integer/],
      [[1, 2], { temperature: NaN }, /temperature must be a finite number, got NaN/],
      [[1, 2], { attention: 5 }, /attention must be an object/],
      [[1, 2], { top_k: 3, filter_thres: 'x' }, /filter_thres must be a number/],
      [[1, 2], { mask: () => 1 }, /option 'mask' must be plain data/],
      [[1, 2], { filter_thres: 1.5 }, /filter_thres must be in \[0, 1\]/],
      [[1, 2], { top_p: 0 }, /top_p must be in \(0, 1\]/],
      [[1, 2], { top_k: 0 }, /top_k must be an integer/],
      [[1, 2], { seed: -3 }, /seed must be an integer/],
      [[1, 2], { frobnicate: 1 }, /unknown option 'frobnicate'/],
      [[1, 2], { attention: { layer: 9 } }, /attention.layer/],
      [[1, 999], {}, /prompt token 999 at index 1/],
      [[], {}, /prompt is empty/],
      ['text', {}, /byte-level model/],
      [[1, 2], { stop: [[]] }, /stop sequence/],
    ];
    for (const [prompt, opts, re] of cases) await assert.rejects(model.generate(prompt, opts), re);
    const ok = await model.generate([1, 2], { max_new_tokens: 4 });
    assert.equal(ok.tokens.length, 4);
  } finally {
    model.dispose();
  }
});

test('dispose during generation ends it with an error, not a crash', async () => {
  const model = await LongShortTransformer.create({ ...SMALL, seed: 2, threaded: false });
  await assert.rejects(model.generate([1], { max_new_tokens: 100, callback: (s) => { if (s.index === 3) model.dispose(); } }),
    /disposed/);
});
