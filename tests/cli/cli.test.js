// The native `lst` tool: eval on a golden case, and bad input giving a
// one-line error with a non-zero exit status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SafetensorsFile } from '../../js/safetensors.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const lst = join(root, 'build', 'lst');
const fixture = (name) => join(root, 'tests', 'fixtures', `${name}.safetensors`);
const tmp = mkdtempSync(join(tmpdir(), 'lst-cli-'));
const run = (...args) => spawnSync(lst, args, { encoding: 'utf8' });

function expectError(args, pattern) {
  const r = run(...args);
  assert.equal(r.status, 1, `exit status for ${args.join(' ')}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one-line error, got: ${r.stderr}`);
  assert.match(lines[0], /^lst: error: /);
  assert.match(lines[0], pattern);
}

test('the native lst binary exists (npm test builds it)', () => {
  assert.ok(existsSync(lst), `${lst} missing: run bash scripts/build-native.sh`);
});

for (const name of ['v2_nc_mask_pad_b2', 'v5_c_mask']) {
  test(`lst eval reproduces the golden logits of ${name}`, () => {
    const out = join(tmp, `${name}.out.safetensors`);
    const r = run('eval', fixture(name), '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const got = new SafetensorsFile(new Uint8Array(readFileSync(out))).get('output.logits');
    const want = new SafetensorsFile(new Uint8Array(readFileSync(fixture(name)))).get('output.logits');
    assert.deepEqual(got.dims, want.dims);
    let err = 0;
    for (let i = 0; i < want.data.length; i++) err = Math.max(err, Math.abs(got.data[i] - want.data[i]));
    assert.ok(err <= 5e-5, `max abs error ${err}`);
  });
}

test('lst eval: bad inputs give one-line errors and exit 1', () => {
  const out = join(tmp, 'x.safetensors');
  expectError(['eval', join(tmp, 'missing.safetensors'), '--out', out], /cannot open|No such file/);
  const garbage = join(tmp, 'garbage.safetensors');
  writeFileSync(garbage, 'definitely not a safetensors file');
  expectError(['eval', garbage, '--out', out], /safetensors/);
  const bytes = readFileSync(fixture('v1_nc_nomask'));
  const truncated = join(tmp, 'truncated.safetensors');
  writeFileSync(truncated, bytes.subarray(0, bytes.length - 1000));
  expectError(['eval', truncated, '--out', out], /safetensors/);
  // a model file without input.tokens: eval the generation case (prompt only)
  expectError(['eval', fixture('v7_c_gen'), '--out', out], /input\.tokens/);
  expectError(['eval', fixture('v1_nc_nomask'), '--out', out, '--backend', 'gpu'], /unknown GEMM backend/);
  expectError(['eval', fixture('v1_nc_nomask'), '--out', out, '--threads', 'two'], /--threads expects an integer/);
  expectError(['eval', fixture('v1_nc_nomask')], /missing required option --out/);
  expectError(['eval', fixture('v1_nc_nomask'), '--out', out, '--config', '{"num_tokens": 5, "dim": 32, "depth": 2, "max_seq_len": 8}'],
    /shape/);
});

test('lst with an unknown command prints usage and exits 2', () => {
  const r = run('frobnicate');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command/);
});

test('lst eval takes the config from a config.json beside a file without metadata', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lst-cfg-'));
  const src = new SafetensorsFile(new Uint8Array(readFileSync(fixture('v4_c_pad'))));
  // Rewrite the file without __metadata__ (as safetensors.torch.save_file does by default).
  const header = {};
  const parts = [];
  let offset = 0;
  for (const name of src.names) {
    const t = src.tensors.get(name);
    const bytes = src.bytes.subarray(t.begin, t.end);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const path = join(dir, 'model.safetensors');
  writeFileSync(path, Buffer.concat([len, json, ...parts]));
  const out = join(dir, 'out.safetensors');
  expectError(['eval', path, '--out', out], /no __metadata__ 'config' and there is no config\.json/);
  writeFileSync(join(dir, 'config.json'), src.metadata.config);
  const r = run('eval', path, '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const got = new SafetensorsFile(new Uint8Array(readFileSync(out))).get('output.logits');
  const want = src.get('output.logits');
  let err = 0;
  for (let i = 0; i < want.data.length; i++) err = Math.max(err, Math.abs(got.data[i] - want.data[i]));
  assert.ok(err <= 5e-5, `max abs error ${err}`);
});

test('lst quantize: int8 and f16 files near the golden logits, back to f32, errors', () => {
  const maxErr = (a, b) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
  const golden = new SafetensorsFile(new Uint8Array(readFileSync(fixture('v5_c_mask')))).get('output.logits');
  const errs = {};
  for (const dtype of ['int8', 'f16', 'f32']) {
    const file = join(tmp, `v5.${dtype}.safetensors`);
    let r = run('quantize', fixture('v5_c_mask'), '--dtype', dtype, '--out', file);
    assert.equal(r.status, 0, r.stderr);
    const st = new SafetensorsFile(new Uint8Array(readFileSync(file)));
    assert.equal(st.metadata.weight_format, dtype);
    const out = join(tmp, `v5.${dtype}.out.safetensors`);
    // F16 files compute in f32 unless asked (--weights f16): ask, to test the f16 kernels.
    r = run('eval', file, '--inputs', fixture('v5_c_mask'), '--out', out, ...(dtype === 'f16' ? ['--weights', 'f16'] : []));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`${dtype} weights`));
    errs[dtype] = maxErr(new SafetensorsFile(new Uint8Array(readFileSync(out))).get('output.logits').data, golden.data);
  }
  console.log(`quantized v5_c_mask logits, max abs vs golden: int8 ${errs.int8.toExponential(2)}, f16 ${errs.f16.toExponential(2)}, f32 ${errs.f32.toExponential(2)}`);
  assert.ok(errs.f32 <= 5e-5, `f32 ${errs.f32}`);
  assert.ok(errs.f16 > errs.f32 && errs.f16 < 5e-3, `f16 ${errs.f16}`);
  assert.ok(errs.int8 > errs.f16 && errs.int8 < 0.1, `int8 ${errs.int8}`);
  // int8 back to f32: a plain state_dict (no .qscale), the dequantised values.
  const back = join(tmp, 'v5.int8.f32.safetensors');
  assert.equal(run('quantize', join(tmp, 'v5.int8.safetensors'), '--dtype', 'f32', '--out', back).status, 0);
  const f32 = new SafetensorsFile(new Uint8Array(readFileSync(back)));
  assert.equal(f32.metadata.weight_format, 'f32');
  assert.ok(!f32.names.some((k) => k.endsWith('.qscale')));
  assert.equal(f32.get('layers.0.0.fn.to_q.weight').dtype, 'F32');
  expectError(['quantize', fixture('v5_c_mask'), '--dtype', 'q4', '--out', back], /unknown weight format "q4"/);
  expectError(['quantize', fixture('v5_c_mask'), '--out', back], /usage: lst quantize/);
  expectError(['eval', fixture('v5_c_mask'), '--out', back, '--weights', 'int4'], /weights must be f32, f16, int8 or stored, got "int4"/);
});

test('lst train: a run killed after a checkpoint keeps every log.csv line up to it', async () => {
  // A long run is stopped by killing it and resumed from its last
  // checkpoint: the curve on disk must hold the steps that checkpoint holds.
  const { spawn } = await import('node:child_process');
  const data = join(tmp, 'kill-data.txt');
  writeFileSync(data, 'To be, or not to be, that is the question. '.repeat(200));
  const out = join(tmp, 'kill-run');
  const child = spawn(lst, ['train', '--data', data, '--config',
    '{"num_tokens":256,"dim":16,"depth":1,"heads":2,"dim_head":8,"max_seq_len":32,"window_size":8,"segment_size":4,"causal":true}',
    '--steps', '100000', '--batch', '1', '--accum', '1', '--seq', '32', '--checkpoint-every', '3',
    '--valid-every', '0', '--sample-every', '0', '--threads', '1', '--out', out]);
  let stderr = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no checkpoint in 60 s: ${stderr}`)); }, 60000);
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/checkpoint /.test(stderr)) { clearTimeout(timer); child.kill('SIGKILL'); resolve(); }
    });
    child.on('exit', () => { clearTimeout(timer); resolve(); });
  });
  await new Promise((resolve) => (child.exitCode !== null || child.signalCode ? resolve() : child.on('exit', resolve)));
  const steps = readFileSync(join(out, 'log.csv'), 'utf8').trim().split('\n').slice(1)
    .filter((l) => l.split(',')[1] === 'train').map((l) => Number(l.split(',')[0]));
  assert.ok(steps.length >= 3, `log.csv lost the lines before the checkpoint: ${JSON.stringify(steps)}`);
  assert.deepEqual(steps.slice(0, 3), [1, 2, 3]);
});
