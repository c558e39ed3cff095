// The public API: input shapes, masks, create/load/save round trips, load
// sources and progress, build selection, wasmPaths.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { LongShortTransformer, SafetensorsFile, readSafetensorsHeader } from '../../js/index.js';
import { FIXTURES, ROOT, SMALL, VARIANTS, maxAbsDiff, readBytes } from './helpers.js';

const FIXTURE = join(FIXTURES, 'v5_c_mask.safetensors');

for (const variant of VARIANTS) {
  describe(`API (${variant.name})`, () => {
    let model;
    before(async () => {
      model = await LongShortTransformer.create({ ...SMALL, seed: 3, ...variant.options });
    });
    after(() => model.dispose());

    test('config, numParameters, runtime', () => {
      assert.deepEqual(model.config, { ...SMALL, ff_mult: 4 });
      // token_emb + logits (V*D + V*D + V) + final LN (2D) + per layer:
      // attn LN 2D, to_q/to_kv 2*I*D, dyn proj r*dh, local/global LN 4dh, to_out I*D + D,
      // ff LN 2D, ff1 4D*D + 4D, ff2 4D*D + D.
      const { num_tokens: V, dim: D, depth, heads, dim_head: dh, r } = SMALL;
      const I = heads * dh;
      const layer = 2 * D + 2 * I * D + r * dh + 4 * dh + I * D + D + 2 * D + 4 * D * D + 4 * D + 4 * D * D + D;
      assert.equal(model.numParameters, 2 * V * D + V + 2 * D + depth * layer);
      assert.equal(model.runtime.variant, variant.options.threaded ? 'threaded' : 'single');
      assert.equal(model.runtime.threads, variant.options.threads ?? 1);
      assert.equal(model.runtime.backend, 'builtin');
    });

    test('every token layout gives the same logits', () => {
      const rows = [[1, 2, 3, 4, 5, 6, 7], [7, 6, 5, 4, 3, 2, 1]];
      const ref = model.forward(rows);
      assert.deepEqual(ref.dims, [2, 7, SMALL.num_tokens]);
      assert.ok(ref.data instanceof Float32Array);
      assert.equal(ref.data.length, 2 * 7 * SMALL.num_tokens);
      const flat = rows.flat();
      for (const input of [new Int32Array(flat), new Uint16Array(flat), new Float64Array(flat),
        new BigInt64Array(flat.map(BigInt)), flat]) {
        assert.deepEqual(model.forward(input, { dims: [2, 7] }).data, ref.data);
      }
      assert.deepEqual(model.forward({ data: new Int32Array(flat), dims: [2, 7] }).data, ref.data);
      // One sequence: number[] is [1, n]; rows are independent.
      const one = model.forward(rows[1]);
      assert.deepEqual(one.dims, [1, 7, SMALL.num_tokens]);
      assert.deepEqual(one.data, ref.data.subarray(7 * SMALL.num_tokens));
      assert.deepEqual(model.forward(new Int32Array(rows[1])).data, one.data);
      assert.deepEqual(model.forward(new Int32Array(rows[1]), { dims: [7] }).data, one.data);
      // A caller-owned output buffer, filled in place.
      const out = new Float32Array(2 * 7 * SMALL.num_tokens);
      const filled = model.forward(rows, { out });
      assert.equal(filled.data, out);
      assert.deepEqual(out, ref.data);
      assert.throws(() => model.forward(rows, { out: new Float32Array(3) }), /out must be a Float32Array of 2 \* 7 \* 50 = 700 logits/);
    });

    test('every mask layout gives the same logits, and the mask matters', () => {
      const rows = [[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]];
      const maskRows = [[true, true, false, true, true, true], [true, true, true, true, false, false]];
      const ref = model.forward(rows, { mask: maskRows });
      const flat = maskRows.flat();
      for (const mask of [maskRows.map((r) => r.map(Number)), flat, flat.map(Number), Uint8Array.from(flat, Number),
        { data: Uint8Array.from(flat, Number), dims: [2, 6] }]) {
        assert.deepEqual(model.forward(rows, { mask }).data, ref.data);
      }
      assert.notDeepEqual(model.forward(rows).data, ref.data);
      assert.deepEqual(model.forward(rows, { mask: rows.map((r) => r.map(() => true)) }).data, model.forward(rows).data);
    });

    test('create is deterministic in its seed', async () => {
      const same = await LongShortTransformer.create({ ...SMALL, seed: 3, ...variant.options });
      const other = await LongShortTransformer.create({ ...SMALL, seed: 4, ...variant.options });
      try {
        assert.deepEqual(same.forward([1, 2, 3]).data, model.forward([1, 2, 3]).data);
        assert.notDeepEqual(other.forward([1, 2, 3]).data, model.forward([1, 2, 3]).data);
      } finally {
        same.dispose();
        other.dispose();
      }
    });

    test('save -> load round trip (float32 exact, float16 close)', async () => {
      const tokens = [[3, 1, 4, 1, 5, 9, 2, 6, 5, 3]];
      const ref = model.forward(tokens).data;
      const f32 = model.save();
      const header = readSafetensorsHeader(f32);
      assert.deepEqual(JSON.parse(header.metadata.config), model.config);
      assert.equal(header.tensors.get('token_emb.weight').dtype, 'F32');
      const back = await LongShortTransformer.load(f32, variant.options);
      assert.deepEqual(back.forward(tokens).data, ref);
      back.dispose();
      const f16 = model.save({ dtype: 'float16' });
      assert.equal(readSafetensorsHeader(f16).tensors.get('token_emb.weight').dtype, 'F16');
      assert.ok(f16.length < 0.6 * f32.length);
      const half = await LongShortTransformer.load(f16, variant.options);
      assert.ok(maxAbsDiff(half.forward(tokens).data, ref) < 0.05);
      half.dispose();
    });
  });
}

test('load sources: path, file URL, Uint8Array, ArrayBuffer, Buffer, Response, Blob; progress', async () => {
  const bytes = readBytes(FIXTURE);
  const tokens = new SafetensorsFile(bytes).get('input.tokens');
  let ref;
  const sources = [
    FIXTURE, pathToFileURL(FIXTURE), pathToFileURL(FIXTURE).href, bytes, bytes.slice().buffer,
    Buffer.from(bytes), new Response(bytes), new Blob([bytes]),
  ];
  for (const source of sources) {
    const model = await LongShortTransformer.load(source, { threaded: false });
    const out = model.forward(tokens.data, { dims: tokens.dims }).data;
    if (ref) assert.deepEqual(out, ref);
    ref = out;
    model.dispose();
  }
  // A streamed Response with content-length reports each chunk.
  const chunk = 16384;
  const stream = new ReadableStream({
    start(c) {
      for (let i = 0; i < bytes.length; i += chunk) c.enqueue(bytes.slice(i, i + chunk));
      c.close();
    },
  });
  const events = [];
  const model = await LongShortTransformer.load(
    new Response(stream, { headers: { 'content-length': String(bytes.length) } }),
    { threaded: false, progress_callback: (e) => events.push(e) });
  assert.deepEqual(model.forward(tokens.data, { dims: tokens.dims }).data, ref);
  model.dispose();
  const progress = events.filter((e) => e.status === 'progress');
  assert.equal(progress.length, Math.ceil(bytes.length / chunk));
  assert.equal(progress.at(-1).loaded, bytes.length);
  assert.equal(progress.at(-1).total, bytes.length);
  assert.equal(progress.at(-1).progress, 100);
  assert.ok(progress.every((e, i) => i === 0 || e.loaded > progress[i - 1].loaded));
  assert.equal(events.at(-1).status, 'done');
});

test('load over http with progress (fetch)', async () => {
  const { createServer } = await import('node:http');
  const bytes = readBytes(FIXTURE);
  const server = createServer((req, res) => {
    if (req.url !== '/model.safetensors') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': bytes.length, 'content-type': 'application/octet-stream' });
    res.end(Buffer.from(bytes));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    const events = [];
    const model = await LongShortTransformer.load(`${base}/model.safetensors`,
      { threaded: false, progress_callback: (e) => events.push(e) });
    assert.equal(model.config.num_tokens, 72);
    model.dispose();
    assert.equal(events[0].status, 'initiate');
    assert.equal(events.filter((e) => e.status === 'progress').at(-1).loaded, bytes.length);
    await assert.rejects(LongShortTransformer.load(`${base}/missing.safetensors`, { threaded: false }),
      /could not fetch '.*missing\.safetensors': HTTP 404/);
  } finally {
    server.close();
  }
});

test('the config option overrides the file', async () => {
  const bytes = readBytes(FIXTURE);
  const config = JSON.parse(new SafetensorsFile(bytes).metadata.config);
  const model = await LongShortTransformer.load(bytes, { threaded: false, config: { ...config, max_seq_len: 1000 } });
  assert.equal(model.config.max_seq_len, 1000);
  model.dispose();
});

test('automatic build choice: threaded in Node with > 1 thread, single with 1', async () => {
  const auto = await LongShortTransformer.create({ ...SMALL, threads: 2 });
  assert.equal(auto.runtime.variant, 'threaded');
  auto.dispose();
  const one = await LongShortTransformer.create({ ...SMALL, threads: 1 });
  assert.equal(one.runtime.variant, 'single');
  one.dispose();
  const forced = await LongShortTransformer.create({ ...SMALL, threads: 1, threaded: true });
  assert.equal(forced.runtime.variant, 'threaded');
  assert.equal(forced.runtime.threads, 1);
  forced.dispose();
});

test('several threaded models at once, each with its own workers', async () => {
  const models = await Promise.all([2, 3, 2].map((threads, i) =>
    LongShortTransformer.create({ ...SMALL, seed: i, threads, threaded: true })));
  const single = await Promise.all([0, 1, 2].map((seed) => LongShortTransformer.create({ ...SMALL, seed, threaded: false })));
  for (let i = 0; i < 3; i++) {
    assert.ok(maxAbsDiff(models[i].forward([1, 2, 3, 4]).data, single[i].forward([1, 2, 3, 4]).data) < 1e-5);
  }
  for (const m of [...models, ...single]) m.dispose();
});

test('wasmPaths: a folder elsewhere works; a wrong one gives an actionable error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lst-wasm-'));
  try {
    cpSync(join(ROOT, 'dist'), dir, { recursive: true });
    for (const threaded of [false, true]) {
      const model = await LongShortTransformer.create({ ...SMALL, threaded, wasmPaths: dir });
      assert.equal(model.forward([1, 2]).dims[2], SMALL.num_tokens);
      model.dispose();
    }
    await assert.rejects(LongShortTransformer.create({ ...SMALL, threaded: false, wasmPaths: join(dir, 'nope') }),
      /could not load the WebAssembly glue .*nope\/lst\.js' \(no such file\).*wasmPaths/);
    // Glue but no .wasm (a fresh folder: compiled builds are cached by URL).
    const partial = join(dir, 'partial');
    mkdirSync(partial);
    cpSync(join(ROOT, 'dist/lst.js'), join(partial, 'lst.js'));
    cpSync(join(ROOT, 'dist/package.json'), join(partial, 'package.json'));
    await assert.rejects(LongShortTransformer.create({ ...SMALL, threaded: false, wasmPaths: pathToFileURL(partial).href }),
      /could not read the WebAssembly file.*lst\.wasm.*wasmPaths/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
