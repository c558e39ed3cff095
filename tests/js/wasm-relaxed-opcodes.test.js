// scripts/wasm-relaxed-opcodes.mjs: the post-link rewrite of LLVM 14's draft
// relaxed-SIMD opcodes (docs/RELAXED_SIMD.md). No build needed: every module
// here is assembled by hand. The rewritten ones also run for real, in a child
// `node --experimental-wasm-relaxed-simd` (Node 20 validates the final relaxed
// opcodes only behind that flag).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { DRAFT_RELAXED, WasmRewriteError, rewriteRelaxedOpcodes } from '../../scripts/wasm-relaxed-opcodes.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = join(ROOT, 'scripts/wasm-relaxed-opcodes.mjs');

// ---------------------------------------------------------------------------
// A tiny module assembler.

const V128 = 0x7b; const I32 = 0x7f; const I64 = 0x7e;

function uleb(n, width = 1) {
  const out = [];
  do {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  } while (n !== 0);
  out[out.length - 1] &= 0x7f;
  while (out.length < width) { out[out.length - 1] |= 0x80; out.push(0); }
  return out;
}
const str = (s) => [...uleb(Buffer.byteLength(s)), ...Buffer.from(s)];
const vec = (items) => [...uleb(items.length), ...items.flat()];

/**
 * funcs: [{ type, locals?: [[n, valtype]], body: bytes before the final end } | { type, raw: whole body }].
 * padSizes: write section and body sizes as 5-byte LEB128 (as some linkers do).
 */
function wasmModule({ types = [], imports = [], funcs = [], table, memory, globals = [], exports = [], names,
  padSizes = false }) {
  const w = padSizes ? 5 : 1;
  const section = (id, payload) => [id, ...uleb(payload.length, w), ...payload];
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (types.length) out.push(...section(1, vec(types.map(([p, r]) => [0x60, ...vec(p), ...vec(r)]))));
  if (imports.length) out.push(...section(2, vec(imports.map(([m, n, type]) => [...str(m), ...str(n), 0x00, ...uleb(type)]))));
  if (funcs.length) out.push(...section(3, vec(funcs.map((f) => uleb(f.type)))));
  if (table) out.push(...section(4, vec([table])));
  if (memory) out.push(...section(5, vec([memory])));
  if (globals.length) out.push(...section(6, vec(globals)));
  if (exports.length) out.push(...section(7, vec(exports.map(([n, kind, idx]) => [...str(n), kind, ...uleb(idx)]))));
  if (funcs.length) {
    out.push(...section(10, vec(funcs.map((f) => {
      const body = f.raw ?? [...vec((f.locals ?? []).map(([n, t]) => [...uleb(n), t])), ...f.body, 0x0b];
      return [...uleb(body.length, w), ...body];
    }))));
  }
  if (names) {
    const sub = vec(Object.entries(names).map(([i, n]) => [...uleb(Number(i)), ...str(n)]));
    out.push(...section(0, [...str('name'), 0x01, ...uleb(sub.length), ...sub]));
  }
  return Uint8Array.from(out);
}

const f32x4 = (...v) => [0xfd, 0x0c, ...new Uint8Array(Float32Array.from(v).buffer)];
const i32x4 = (...v) => [0xfd, 0x0c, ...new Uint8Array(Int32Array.from(v).buffer)];
const i8x16 = (v) => [0xfd, 0x0c, ...new Uint8Array(Int8Array.from({ length: 16 }, () => v).buffer)];
const V128_STORE_AT_0 = [0xfd, 0x0b, 0x04, 0x00];

/**
 * madd(a, b, c) and dot(a, b, c), each (v128 v128 v128) -> v128, plus run(), which stores
 * madd([2,1,3,4], [3,5,6,8], [1,0.5,-1,10]) at 0 and dot(i8 -3 x16, i8 5 x16, [10,20,30,40]) at 16.
 * `fma` and `dot` are the bytes after 0xfd: the subopcode LEB128.
 */
function relaxedModule({ fma = [0xaf, 0x01], dot = [0xd2, 0x01], padSizes = false } = {}) {
  const threeV128 = [[V128, V128, V128], [V128]];
  const args = [0x20, 0x00, 0x20, 0x01, 0x20, 0x02];
  return wasmModule({
    padSizes,
    types: [threeV128, [[], []]],
    funcs: [
      { type: 0, body: [...args, 0xfd, ...fma] },
      { type: 0, body: [...args, 0xfd, ...dot] },
      {
        type: 1,
        body: [
          0x41, 0x00, ...f32x4(2, 1, 3, 4), ...f32x4(3, 5, 6, 8), ...f32x4(1, 0.5, -1, 10), 0x10, 0x00, ...V128_STORE_AT_0,
          0x41, 0x10, ...i8x16(-3), ...i8x16(5), ...i32x4(10, 20, 30, 40), 0x10, 0x01, ...V128_STORE_AT_0,
        ],
      },
    ],
    memory: [0x00, 0x01],
    exports: [['mem', 0x02, 0], ['run', 0x00, 2]],
  });
}
const FINAL_MADD = [0x85, 0x02]; // 0x105 f32x4.relaxed_madd
const FINAL_DOT = [0x93, 0x02]; // 0x113 i32x4.relaxed_dot_i8x16_i7x16_add_s
const EXPECT_MADD = [7, 5.5, 17, 42]; // a*b + c (a + b*c would give [5, 3.5, -3, 84])
const EXPECT_DOT = [-50, -40, -30, -20]; // 4 * (-3 * 5) + c

/**
 * Runs `run()` of each module in a child node with relaxed SIMD enabled.
 * madd/dot take their operands as params (locals) on purpose: Node 20's V8 11.3 baseline
 * compiler (Liftoff) miscomputes i32x4.relaxed_dot_i8x16_i7x16_add_s when all three operands
 * are stack temporaries (it returns dot + dot instead of dot + acc); TurboFan is right.
 */
function runInV8(modules) {
  const script = `
    const out = {};
    for (const [name, b64] of Object.entries(JSON.parse(process.env.WRO_MODULES))) {
      const bytes = Buffer.from(b64, 'base64');
      if (!WebAssembly.validate(bytes)) { out[name] = { valid: false }; continue; }
      const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes));
      exports.run();
      out[name] = { valid: true, madd: Array.from(new Float32Array(exports.mem.buffer, 0, 4)),
        dot: Array.from(new Int32Array(exports.mem.buffer, 16, 4)) };
    }
    console.log(JSON.stringify(out));`;
  const env = { ...process.env, WRO_MODULES: JSON.stringify(Object.fromEntries(
    Object.entries(modules).map(([k, v]) => [k, Buffer.from(v).toString('base64')]))) };
  let r;
  for (const flags of [['--experimental-wasm-relaxed-simd'], []]) { // the flag may be gone once relaxed SIMD ships
    r = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script], { env, encoding: 'utf8' });
    if (!(r.status !== 0 && /bad option/.test(r.stderr))) break;
  }
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function cli(...args) {
  return spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
}

function indexOfSeq(bytes, seq) {
  const i = Buffer.from(bytes).indexOf(Buffer.from(seq));
  assert.equal(i, Buffer.from(bytes).lastIndexOf(Buffer.from(seq)), `${seq} must be unique in the test module`);
  return i;
}

function withTmp(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-relaxed-opcodes-'));
  try { return fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

// ---------------------------------------------------------------------------

test('rewrites 0xfd 0xaf 0x01 -> 0xfd 0x85 0x02 (relaxed_madd) and 0xfd 0xd2 0x01 -> 0xfd 0x93 0x02 (relaxed_dot_add), in place', () => {
  const input = relaxedModule();
  const fmaAt = indexOfSeq(input, [0x20, 0x02, 0xfd, 0xaf, 0x01]) + 2;
  const dotAt = indexOfSeq(input, [0x20, 0x02, 0xfd, 0xd2, 0x01]) + 2;
  const { bytes, counts } = rewriteRelaxedOpcodes(input);
  assert.deepEqual(counts, { madd: 1, dot: 1 });
  assert.equal(bytes.length, input.length);
  assert.deepEqual([...bytes.subarray(fmaAt, fmaAt + 3)], [0xfd, ...FINAL_MADD]);
  assert.deepEqual([...bytes.subarray(dotAt, dotAt + 3)], [0xfd, ...FINAL_DOT]);
  assert.deepEqual(bytes, relaxedModule({ fma: FINAL_MADD, dot: FINAL_DOT })); // and nothing else changed
  assert.deepEqual(input, relaxedModule(), 'the input array is not modified');
});

test('non-minimal LEB128 subopcodes: the body sizes and the code section size are re-encoded', () => {
  for (const padSizes of [false, true]) {
    const input = relaxedModule({ fma: [0xaf, 0x81, 0x00], dot: [0xd2, 0x81, 0x80, 0x80, 0x00], padSizes });
    const { bytes, counts } = rewriteRelaxedOpcodes(input);
    assert.deepEqual(counts, { madd: 1, dot: 1 });
    // Same module as if written with the final opcodes; padded (5-byte) sizes stay 5 bytes wide.
    assert.deepEqual(bytes, relaxedModule({ fma: FINAL_MADD, dot: FINAL_DOT, padSizes }), `padSizes=${padSizes}`);
    assert.equal(bytes.length, input.length - 4);
  }
});

test('the rewritten modules validate and compute a*b+c and the i8 dot product in V8; the draft ones do not validate', () => {
  const draft = relaxedModule();
  const draftPadded = relaxedModule({ fma: [0xaf, 0x81, 0x00], dot: [0xd2, 0x81, 0x80, 0x80, 0x00], padSizes: true });
  const out = runInV8({
    draft,
    rewritten: rewriteRelaxedOpcodes(draft).bytes,
    rewrittenFromPadded: rewriteRelaxedOpcodes(draftPadded).bytes,
  });
  assert.deepEqual(out.draft, { valid: false });
  for (const name of ['rewritten', 'rewrittenFromPadded']) {
    assert.deepEqual(out[name], { valid: true, madd: EXPECT_MADD, dot: EXPECT_DOT }, name);
  }
});

test('already-final opcodes are accepted and counted, so a second run is a no-op', () => {
  const once = rewriteRelaxedOpcodes(relaxedModule());
  const twice = rewriteRelaxedOpcodes(once.bytes);
  assert.deepEqual(twice.counts, { madd: 0, dot: 0 });
  assert.deepEqual(twice.alreadyFinal, { madd: 1, dot: 1 });
  assert.deepEqual(twice.bytes, once.bytes);
});

/**
 * A valid module using most instruction kinds, with 0xfd 0xaf 0x01 / 0xfd 0xd2 0x01 inside
 * i32/i64/f32/f64/v128 constants and memarg offsets, and the SIMD128 opcodes 0xa7, 0xa8, 0xb5,
 * 0xd5 (standard, although they look like draft relaxed numbers).
 */
function busyModule() {
  const body = [
    0x41, 0xfd, 0xaf, 0x01, 0x1a, // i32.const 22525 (LEB fd af 01); drop
    0x41, 0xfd, 0xd2, 0x01, 0x1a, // i32.const 27005 (LEB fd d2 01); drop
    // the pattern one byte into the immediate: a decoder that is one byte off would "find" an opcode
    0x41, 0xff, 0xfd, 0xaf, 0x01, 0x1a, 0x41, 0x80, 0xfd, 0xd2, 0x01, 0x1a, // i32.const; drop (x2)
    0x42, 0xff, 0xfd, 0xaf, 0x01, 0x1a, 0x41, 0x00, 0x28, 0x02, 0x80, 0xfd, 0xd2, 0x01, 0x1a, // i64.const; i32.load
    0x41, 0x00, 0xfd, 0x00, 0x04, 0x80, 0xfd, 0xaf, 0x01, 0x1a, // v128.load offset=(LEB 80 fd af 01); drop
    0x42, 0xfd, 0xaf, 0x01, 0x21, 0x02, // i64.const; local.set 2
    0x42, 0xfd, 0xd2, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x21, 0x03, // i64.const (10-byte LEB); local.set 3
    0x43, 0xfd, 0xaf, 0x01, 0x00, 0x1a, // f32.const; drop
    0x44, 0xfd, 0xd2, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1a, // f64.const; drop
    0xfd, 0x0c, 0xfd, 0xaf, 0x01, 0xfd, 0xd2, 0x01, 0xfd, 0xb0, 0x01, 0xfd, 0xa2, 0x01, 0xfd, 0x85, 0x02, 0x0b, // v128.const
    0x21, 0x01, // local.set 1
    0x20, 0x01, 0x20, 0x01, 0xfd, 0x0d, 0x0b, 0x0d, 0x1f, 0x1c, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    0x09, 0x0a, 0x1e, // i8x16.shuffle
    0x20, 0x01, 0xfd, 0xb5, 0x01, // i32x4.mul
    0xfd, 0xa7, 0x01, 0xfd, 0xa8, 0x01, // i32x4.extend_low_i16x8_s, extend_high_i16x8_s
    0x20, 0x01, 0xfd, 0xd5, 0x01, // i64x2.mul
    0x20, 0x01, 0xfd, 0xba, 0x01, // i32x4.dot_i16x8_s
    0x20, 0x01, 0xfd, 0xae, 0x01, 0x20, 0x01, 0xfd, 0xb1, 0x01, // i32x4.add, i32x4.sub
    0xfd, 0xe0, 0x01, 0xfd, 0xff, 0x01, // f32x4.abs, f64x2.convert_low_i32x4_u
    0x20, 0x01, 0x20, 0x01, 0xfd, 0x52, // v128.bitselect
    0xfd, 0x1b, 0x03, 0x1a, // i32x4.extract_lane 3; drop
    0x41, 0x00, 0x41, 0x00, 0xfd, 0x00, 0x04, 0xfd, 0xaf, 0x01, // v128.load offset=22525
    0xfd, 0x56, 0x02, 0x00, 0x03, 0x21, 0x01, // v128.load32_lane lane 3; local.set 1
    0x41, 0x00, 0x20, 0x01, 0xfd, 0x5a, 0x02, 0x00, 0x01, // v128.store32_lane lane 1
    0x41, 0x00, 0xfd, 0x5d, 0x03, 0x08, 0x1a, // v128.load64_zero offset=8; drop
    0x41, 0x00, 0x28, 0x02, 0xfd, 0xaf, 0x01, 0x1a, // i32.load offset=22525; drop
    0x41, 0x00, 0x41, 0x07, 0x36, 0x02, 0xfd, 0xd2, 0x01, // i32.store offset=27005
    0x41, 0x00, 0x20, 0x01, ...V128_STORE_AT_0, // v128.store
    0x41, 0x00, 0x41, 0x01, 0xfe, 0x1e, 0x02, 0x00, 0x1a, // i32.atomic.rmw.add; drop
    0xfe, 0x03, 0x00, // atomic.fence
    0x41, 0x00, 0xfe, 0x10, 0x02, 0x04, 0x1a, // i32.atomic.load offset=4; drop
    0x41, 0x00, 0x41, 0x00, 0x41, 0x10, 0xfc, 0x0b, 0x00, // memory.fill
    0x41, 0x00, 0x41, 0x10, 0x41, 0x10, 0xfc, 0x0a, 0x00, 0x00, // memory.copy
    0x3f, 0x00, 0x1a, 0x41, 0x00, 0x40, 0x00, 0x1a, // memory.size, memory.grow
    0x43, 0x00, 0x00, 0x80, 0x3f, 0xfc, 0x00, 0x1a, // i32.trunc_sat_f32_s
    0x23, 0x00, 0x41, 0x01, 0x6a, 0x24, 0x00, // global.get/set
    0x20, 0x02, 0x20, 0x03, 0x7c, 0x21, 0x02, // i64.add
    0xd0, 0x70, 0xd1, 0x1a, 0xd2, 0x01, 0x1a, // ref.null func, ref.is_null, ref.func 1
    0x41, 0x00, 0x25, 0x00, 0x1a, 0x41, 0x00, 0xd0, 0x70, 0x26, 0x00, // table.get, table.set
    0xfc, 0x10, 0x00, 0x1a, // table.size
    0x41, 0x01, 0x41, 0x02, 0x20, 0x00, 0x1c, 0x01, I32, 0x1a, // select (result i32)
    0x41, 0x01, 0x41, 0x02, 0x20, 0x00, 0x1b, 0x1a, // select
    0x20, 0x00, 0xc0, 0x1a, // i32.extend8_s
    0x02, 0x40, 0x02, 0x40, 0x02, 0x40, 0x20, 0x00, 0x0e, 0x02, 0x00, 0x01, 0x02, 0x0b, // blocks, br_table
    0x10, 0x00, 0x0b, // call 0 (the import)
    0x41, 0x00, 0x11, 0x01, 0x00, 0x0b, // call_indirect
    0x02, 0x40, 0x03, 0x40, 0x20, 0x00, 0x0d, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b, // loop
    0x20, 0x00, 0x04, I32, 0x41, 0x01, 0x05, 0x41, 0x02, 0x0b, 0x1a, // if/else
    0x41, 0x05, 0x02, 0x00, 0x0b, 0x1a, // block with a type index
    0x01, 0x20, 0x00, 0x0f, // nop, return
  ];
  return wasmModule({
    types: [[[I32], [I32]], [[], []]],
    imports: [['env', 'f', 1]],
    funcs: [{ type: 0, locals: [[1, V128], [2, I64]], body }, { type: 1, body: [] }],
    table: [0x70, 0x00, 0x01],
    memory: [0x03, 0x01, 0x01], // shared, for the atomics
    globals: [[I32, 0x01, 0x41, 0x00, 0x0b]],
    exports: [['main', 0x00, 1], ['mem', 0x02, 0]],
  });
}

test('a valid module with no relaxed opcodes comes out byte-identical (every instruction decoded, no byte matching)', () => {
  const input = busyModule();
  assert.ok(WebAssembly.validate(input), 'the hand-made module is valid wasm');
  assert.ok(Buffer.from(input).includes(Buffer.from([0xfd, 0xaf, 0x01])));
  assert.ok(Buffer.from(input).includes(Buffer.from([0xfd, 0xd2, 0x01])));
  const { bytes, counts, alreadyFinal } = rewriteRelaxedOpcodes(input);
  assert.deepEqual(counts, { madd: 0, dot: 0 });
  assert.deepEqual(alreadyFinal, { madd: 0, dot: 0 });
  assert.deepEqual(bytes, input);
  assert.notEqual(bytes, input, 'a copy, not the input');
});

test('draft byte patterns inside shuffle masks and u32 immediates are not opcodes', () => {
  const input = wasmModule({
    types: [[[V128], []]],
    funcs: [{
      type: 0,
      body: [
        0x20, 0x00, 0x20, 0x00, 0xfd, 0x0d, 0xfd, 0xaf, 0x01, 0xfd, 0xd2, 0x01, 0xfd, 0xb0, 0x01, 0xfd, 0xa2, 0x01, 0xfd, 0x85,
        0x02, 0xfd, 0x1a, // i8x16.shuffle with a "mask" that is not a valid one
        0x10, 0xfd, 0xaf, 0x01, 0x1a, 0x20, 0xfd, 0xd2, 0x01, 0x1a, // call 22525, local.get 27005
        0x41, 0x00, 0x0e, 0x01, 0xfd, 0xaf, 0x01, 0xfd, 0xd2, 0x01, // br_table
      ],
    }],
  });
  const { bytes, counts } = rewriteRelaxedOpcodes(input);
  assert.deepEqual(counts, { madd: 0, dot: 0 });
  assert.deepEqual(bytes, input);
});

test('every other draft relaxed opcode is rejected, naming it, the function index and the byte offset', () => {
  const others = Object.keys(DRAFT_RELAXED).map(Number).filter((s) => s !== 0xaf && s !== 0xd2);
  assert.deepEqual(others, [0xa2, 0xa5, 0xa6, 0xb0, 0xb2, 0xb3, 0xb4, 0xc5, 0xc6, 0xcf, 0xd0, 0xd3, 0xd4, 0xe2, 0xee]);
  for (const sub of others) {
    const input = wasmModule({
      types: [[[V128, V128, V128], [V128]], [[], []]],
      imports: [['env', 'f', 1]],
      funcs: [
        { type: 0, body: [0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0xaf, 0x01] }, // function 1: fine
        { type: 0, body: [0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, sub, 0x01] }, // function 2
      ],
      names: { 2: 'kernel' },
    });
    const at = indexOfSeq(input, [0x20, 0x02, 0xfd, sub, 0x01]) + 2;
    const name = DRAFT_RELAXED[sub].replace('.', '\\.');
    const re = new RegExp(`^function 2 "kernel" \\(code entry 1\\) at byte offset 0x${at.toString(16)} \\(${at}\\): `
      + `unsupported pre-standard relaxed-SIMD opcode 0xfd 0x${sub.toString(16)} 0x01 \\(${name}, `);
    assert.throws(() => rewriteRelaxedOpcodes(input), (e) => e instanceof WasmRewriteError && re.test(e.message)
      && e.offset === at, `subopcode 0x${sub.toString(16)}`);
  }
});

test('unknown opcodes are rejected, not guessed', () => {
  const cases = [
    [[0x06, 0x40, 0x0b], /unknown or unsupported opcode 0x06 \(try/],
    [[0x41, 0x00, 0x04, 0x40, 0x08, 0x00, 0x0b], /opcode 0x08 \(throw/],
    [[0x20, 0x00, 0xfd, 0x9a, 0x01, 0x1a], /unknown SIMD opcode 0xfd 0x9a 0x01 \(subopcode 0x9a is not a SIMD128/],
    [[0x20, 0x00, 0xfd, 0x94, 0x02, 0x1a], /unknown SIMD opcode 0xfd 0x94 0x02 \(subopcode 0x114\)/],
    [[0xfc, 0x12, 0x00], /unknown opcode 0xfc 0x12 \(subopcode 18\)/],
    [[0x41, 0x00, 0xfe, 0x04, 0x02, 0x00, 0x1a], /unknown atomic opcode 0xfe 0x04/],
    [[0x41, 0x00, 0xfe, 0x4f, 0x02, 0x00, 0x1a], /unknown atomic opcode 0xfe 0x4f/],
    [[0xfe, 0x03, 0x01], /atomic\.fence: expected a 0x00 byte/],
    [[0xd0, 0x63, 0x00, 0x1a], /unsupported ref\.null heap type 0x63/],
    [[0xfb, 0x00], /opcode 0xfb \(GC prefix\)/],
  ];
  for (const [body, re] of cases) {
    const input = wasmModule({ types: [[[V128], []]], funcs: [{ type: 0, body }] });
    assert.throws(() => rewriteRelaxedOpcodes(input), (e) => e instanceof WasmRewriteError && /^function 0 /.test(e.message)
      && re.test(e.message), String(re));
  }
});

test('malformed and truncated modules are rejected with WasmRewriteError', () => {
  const ok = relaxedModule();
  const bad = (bytes, re) => assert.throws(() => rewriteRelaxedOpcodes(bytes), (e) => e instanceof WasmRewriteError
    && re.test(e.message), String(re));
  bad(new Uint8Array(0), /shorter than the 8-byte header/);
  bad(Uint8Array.from([0x00, 0x61, 0x73, 0x6e, 1, 0, 0, 0]), /bad magic/);
  bad(Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]), /unsupported WebAssembly binary version/);
  // Cut anywhere from the code section on: always an error, never a silently shorter module.
  const codeAt = ok.lastIndexOf(0x0a, indexOfSeq(ok, [0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0xaf]));
  for (let n = codeAt; n < ok.length; n++) bad(ok.subarray(0, n), /truncated|declares|past the end/);
  for (let n = 0; n < 8; n++) bad(ok.subarray(0, n), /header|magic|version/);
  const one = (f) => wasmModule({ types: [[[], []]], funcs: [{ type: 0, ...f }] });
  bad(one({ raw: [0x00, 0x01] }), /truncated: the function body ends without its final end/);
  bad(one({ raw: [0x00, 0x0b, 0x01] }), /final end is followed by 1 more byte/);
  bad(one({ raw: [0x00, 0x02, 0x40, 0x0b] }), /without its final end/); // the end closes the block only
  bad(one({ body: [0x20, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x1a] }), /LEB128 u32 is too long/);
  bad(one({ body: [0x41, 0x80, 0x80, 0x80, 0x80, 0x10, 0x1a] }), /LEB128 s32 is too long or out of range/);
  bad(one({ body: [0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02, 0x1a] }), /LEB128 s64/);
  bad(one({ locals: [[1, 0x64]], body: [] }), /unsupported value type 0x64/);
  const noCode = wasmModule({ types: [[[], []]], funcs: [{ type: 0, body: [] }] });
  bad(noCode.subarray(0, noCode.lastIndexOf(0x0a)), /declares 1 function\(s\) but there is no code section/);
  bad(Uint8Array.from([...ok, 0x0e, 0x00]), /unknown section id 14/);
});

test('many functions and rewrites: a synthetic module with a 4 MB code section', () => {
  // Built with Buffer.concat: the spread-based assembler above is for small modules.
  const build = (fma, dot) => {
    const kernel = [0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, ...fma, 0x21, 0x02, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02,
      0xfd, ...dot, 0x21, 0x02, 0x41, 0xfd, 0xaf, 0x01, 0x1a];
    const body = Buffer.concat([Buffer.from([0x00]), ...Array(75).fill(Buffer.from(kernel)), Buffer.from([0x20, 0x02, 0x0b])]);
    const entry = Buffer.concat([Buffer.from(uleb(body.length)), body]);
    const n = 2000;
    const code = Buffer.concat([Buffer.from(uleb(n)), ...Array(n).fill(entry)]);
    const types = vec([[0x60, ...vec([V128, V128, V128]), ...vec([V128])]]);
    const funcs = [...uleb(n), ...Array(n).fill(0)];
    return new Uint8Array(Buffer.concat([
      Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 1, ...uleb(types.length), ...types]),
      Buffer.from([3, ...uleb(funcs.length), ...funcs, 10, ...uleb(code.length)]), code]));
  };
  const input = build([0xaf, 0x01], [0xd2, 0x01]);
  assert.ok(input.length > 4_000_000);
  const t0 = performance.now();
  const { bytes, counts } = rewriteRelaxedOpcodes(input);
  const ms = performance.now() - t0;
  assert.deepEqual(counts, { madd: 150_000, dot: 150_000 });
  assert.ok(Buffer.from(bytes).equals(Buffer.from(build(FINAL_MADD, FINAL_DOT))));
  assert.ok(ms < 10_000, `${ms} ms`);
});

test('real modules in dist/ (if built) parse, hold no draft opcodes and come out byte-identical', (t) => {
  const found = ['lst.wasm', 'lst-threaded.wasm', 'lst-relaxed.wasm', 'lst-threaded-relaxed.wasm']
    .map((f) => join(ROOT, 'dist', f)).filter((f) => existsSync(f));
  if (!found.length) { t.skip('no dist/*.wasm'); return; }
  for (const path of found) {
    const input = new Uint8Array(readFileSync(path));
    const { bytes, counts, alreadyFinal } = rewriteRelaxedOpcodes(input);
    assert.deepEqual(counts, { madd: 0, dot: 0 }, `${path} still has draft relaxed opcodes`);
    assert.ok(Buffer.from(bytes).equals(Buffer.from(input)), path);
    if (path.endsWith('-relaxed.wasm')) assert.ok(alreadyFinal.madd > 0, `${path}: no f32x4.relaxed_madd`);
    else assert.deepEqual(alreadyFinal, { madd: 0, dot: 0 }, path);
  }
});

test('CLI: rewrites in place atomically, keeps the file mode, prints the counts; a second run changes nothing', () => {
  withTmp((dir) => {
    const path = join(dir, 'lst-relaxed.wasm');
    writeFileSync(path, relaxedModule());
    chmodSync(path, 0o755);
    let r = cli(path);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `wasm-relaxed-opcodes: ${path}: 1 f32x4.relaxed_madd, 1 i32x4.relaxed_dot_i8x16_i7x16_add_s\n`);
    assert.equal(r.stderr, '');
    assert.deepEqual(new Uint8Array(readFileSync(path)), relaxedModule({ fma: FINAL_MADD, dot: FINAL_DOT }));
    assert.equal(statSync(path).mode & 0o777, 0o755);
    assert.deepEqual(readdirSync(dir), ['lst-relaxed.wasm'], 'no temp file left behind');
    const mtime = statSync(path).mtimeMs;
    r = cli('--expect-madd', path);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /: 0 f32x4\.relaxed_madd, 0 i32x4\.relaxed_dot_i8x16_i7x16_add_s \(already final: 1 f32x4\.relaxed_madd, 1 i32x4\.relaxed_dot_i8x16_i7x16_add_s\) \(file unchanged\)\n$/);
    assert.equal(statSync(path).mtimeMs, mtime);
  });
});

test('CLI: IN OUT writes OUT and leaves IN alone', () => {
  withTmp((dir) => {
    const input = join(dir, 'in.wasm');
    const output = join(dir, 'out.wasm');
    writeFileSync(input, relaxedModule());
    const r = cli(input, output, '--expect-madd');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /in\.wasm -> .*out\.wasm: 1 f32x4\.relaxed_madd, 1 i32x4/);
    assert.deepEqual(new Uint8Array(readFileSync(input)), relaxedModule());
    assert.deepEqual(new Uint8Array(readFileSync(output)), relaxedModule({ fma: FINAL_MADD, dot: FINAL_DOT }));
  });
});

test('CLI: --expect-madd fails on a module without an FMA, and writes nothing', () => {
  withTmp((dir) => {
    const input = join(dir, 'nofma.wasm');
    const output = join(dir, 'out.wasm');
    writeFileSync(input, busyModule());
    let r = cli('--expect-madd', input, output);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^wasm-relaxed-opcodes: .*nofma\.wasm: error: --expect-madd: no f32x4\.relaxed_fma/);
    assert.equal(r.stdout, '');
    assert.ok(!existsSync(output));
    r = cli(input, output); // without the flag it is fine
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(new Uint8Array(readFileSync(output)), busyModule());
  });
});

test('CLI: exit 1 with the message on an unsupported opcode, a truncated file and bad usage; the file is untouched', () => {
  withTmp((dir) => {
    const path = join(dir, 'm.wasm');
    const fms = relaxedModule({ fma: [0xb0, 0x01] });
    writeFileSync(path, fms);
    let r = cli(path);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /m\.wasm: error: function 0 \(code entry 0\) at byte offset 0x[0-9a-f]+ \(\d+\): unsupported pre-standard relaxed-SIMD opcode 0xfd 0xb0 0x01 \(f32x4\.relaxed_fms/);
    assert.deepEqual(new Uint8Array(readFileSync(path)), fms);
    const cut = relaxedModule().subarray(0, 60);
    writeFileSync(path, cut);
    r = cli(path);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /m\.wasm: error: .*truncated/);
    assert.deepEqual(new Uint8Array(readFileSync(path)), cut);
    assert.equal(cli().status, 1);
    assert.equal(cli('--bogus', path).status, 1);
    assert.equal(cli(join(dir, 'missing.wasm')).status, 1);
    assert.deepEqual(readdirSync(dir), ['m.wasm']);
  });
});
