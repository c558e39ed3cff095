#!/usr/bin/env node
// Post-link rewriter: pre-standard relaxed-SIMD opcodes -> their final encodings.
//
// Why this exists (see docs/RELAXED_SIMD.md): the toolchain is Emscripten 3.1.6
// with Debian's LLVM 14, whose `-mrelaxed-simd` implements an early draft of the
// relaxed-SIMD proposal. That draft put its instructions in holes of the SIMD128
// opcode table (0xfd 0xa2 ... 0xfd 0xee); the final proposal (Wasm 3.0) moved them
// to 0xfd 0x100 ... 0xfd 0x113, and no engine accepts the draft encodings any more.
// We emit exactly two of them on purpose and rewrite them here, after linking:
//
//   0xfd 0xaf 0x01  f32x4.relaxed_fma (draft, __builtin_wasm_fma_f32x4)
//        -> 0xfd 0x85 0x02  f32x4.relaxed_madd (0x105): a*b + c
//   0xfd 0xd2 0x01  i32x4.laneselect (draft, __builtin_wasm_laneselect_i32x4)
//        -> 0xfd 0x93 0x02  i32x4.relaxed_dot_i8x16_i7x16_add_s (0x113)
//
// LLVM 14 has no builtin for the relaxed int8 dot product, so the C++ uses the
// i32x4 laneselect builtin as a placeholder with the same shape, three v128 in
// and one v128 out: laneselect(a, b, acc) becomes dot_add(a, b, acc), which is
// dot(a as i8x16, b as i7x16) added to the i32x4 acc. So the module stays
// valid, and laneselect must never be used for its own meaning. An
// un-rewritten module doesn't compute a lane select by mistake: engines refuse
// to compile it.
// Operand order: the draft defined fma(a, b, c) = a + b*c, but the final madd is
// a*b + c. The rewrite keeps the operands as they are, so call sites must be
// written for the final meaning, with the accumulator last.
//
// The decoder reads every instruction of every function body, immediates included,
// and never pattern-matches bytes: 0xfd 0xaf 0x01 inside a v128.const, a shuffle
// mask or a LEB128 immediate is left alone. Any other draft relaxed opcode (and any
// opcode it does not know) is an error naming the function and the byte offset.
// Only the code section (id 10) is rebuilt; every other byte is copied as is.
// Replacement subopcodes are written in their minimal 2-byte LEB128 form; if a
// draft subopcode had a longer (non-minimal) encoding, the function body size and
// the code section size are re-encoded (keeping their original LEB128 width when
// the new value fits).
//
//   node scripts/wasm-relaxed-opcodes.mjs [--expect-madd] IN.wasm [OUT.wasm]
//
// OUT defaults to IN (replaced atomically: temp file + rename). --expect-madd fails
// when the module has no f32x4.relaxed_madd at all (neither rewritten here nor
// already in final form), so a kernel that silently lost its FMA breaks the build.
// Only Node built-ins.
import { chmodSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TOOL = 'wasm-relaxed-opcodes';

/** Draft (LLVM 14) subopcodes we rewrite, and what they become. */
export const REWRITES = Object.freeze({
  0xaf: { from: 'f32x4.relaxed_fma', to: 'f32x4.relaxed_madd', sub: 0x105, key: 'madd' },
  0xd2: { from: 'i32x4.laneselect', to: 'i32x4.relaxed_dot_i8x16_i7x16_add_s', sub: 0x113, key: 'dot' },
});

/**
 * Every relaxed-SIMD opcode LLVM 14 emits (checked with Debian LLVM 14.0.6
 * `llvm-mc -show-encoding -mattr=+simd128,+relaxed-simd`). Each number is a gap
 * in the final SIMD128 table. 0xaf and 0xd2 are rewritten; the rest are errors.
 */
export const DRAFT_RELAXED = Object.freeze({
  0xa2: 'i8x16.relaxed_swizzle',
  0xa5: 'i32x4.relaxed_trunc_f32x4_s',
  0xa6: 'i32x4.relaxed_trunc_f32x4_u',
  0xaf: 'f32x4.relaxed_fma',
  0xb0: 'f32x4.relaxed_fms',
  0xb2: 'i8x16.laneselect',
  0xb3: 'i16x8.laneselect',
  0xb4: 'f32x4.relaxed_min',
  0xc5: 'i32x4.relaxed_trunc_f64x2_s_zero',
  0xc6: 'i32x4.relaxed_trunc_f64x2_u_zero',
  0xcf: 'f64x2.relaxed_fma',
  0xd0: 'f64x2.relaxed_fms',
  0xd2: 'i32x4.laneselect',
  0xd3: 'i64x2.laneselect',
  0xd4: 'f64x2.relaxed_min',
  0xe2: 'f32x4.relaxed_max',
  0xee: 'f64x2.relaxed_max',
});

/**
 * Subopcodes 0x5e..0xff that are NOT final SIMD128 instructions. Below 0x5e the
 * table has no gaps. Source: the final opcode list, e.g. WebAssembly/wabt
 * include/wabt/opcode.def.
 * Note: 0xa7/0xa8 (i32x4.extend_{low,high}_i16x8_s), 0xb5 (i32x4.mul) and 0xd5
 * (i64x2.mul) ARE standard.
 */
const SIMD_GAPS = new Set([0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb, 0xc2, 0xc5, 0xc6, 0xcf, 0xd0,
  0xd2, 0xd3, 0xd4, 0xe2, 0xee]);

/** Names for single-byte opcodes we refuse, to make the error readable. */
const REJECTED_NAMES = {
  0x06: 'try (exception handling)', 0x07: 'catch (exception handling)', 0x08: 'throw (exception handling)',
  0x09: 'rethrow (exception handling)', 0x0a: 'throw_ref (exception handling)', 0x14: 'call_ref (typed function references)',
  0x15: 'return_call_ref (typed function references)', 0x18: 'delegate (exception handling)',
  0x19: 'catch_all (exception handling)', 0x1f: 'try_table (exception handling)', 0xd3: 'ref.as_non_null / ref.eq',
  0xd4: 'br_on_null / ref.as_non_null', 0xd5: 'br_on_non_null / br_on_null', 0xd6: 'br_on_non_null', 0xfb: 'GC prefix',
};

export class WasmRewriteError extends Error {
  constructor(message, offset) {
    super(message);
    this.name = 'WasmRewriteError';
    this.offset = offset;
  }
}

const hex = (n) => `0x${n.toString(16).padStart(2, '0')}`;
const where = (at) => `byte offset ${hex(at)} (${at})`;
const hexBytes = (buf, start, end) => Array.from(buf.subarray(start, end), hex).join(' ');

/** Bounded little reader; `context` names what is being decoded, for errors. */
class Reader {
  constructor(buf, pos, end, context) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.context = context;
  }

  fail(detail, at = this.pos) {
    throw new WasmRewriteError(`${this.context} at ${where(at)}: ${detail}`, at);
  }

  u8() {
    if (this.pos >= this.end) this.fail(`truncated: expected a byte before ${this.endLabel()}`);
    return this.buf[this.pos++];
  }

  skip(n) {
    if (this.end - this.pos < n) this.fail(`truncated: expected ${n} immediate byte(s), ${this.end - this.pos} left before ${this.endLabel()}`);
    this.pos += n;
  }

  endLabel() {
    return this.end === this.buf.length ? 'the end of the file' : `the end of the enclosing ${this.context.startsWith('function') ? 'function body' : 'section'} at ${hex(this.end)}`;
  }

  /** Unsigned LEB128, at most 5 bytes, value < 2^32. */
  u32() {
    const start = this.pos;
    let result = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) this.fail(`truncated LEB128 u32 (before ${this.endLabel()})`, start);
      const b = this.buf[this.pos++];
      if (i === 4) {
        if (b & 0xf0) this.fail(`LEB128 u32 is too long or exceeds 32 bits (${hexBytes(this.buf, start, this.pos)})`, start);
        return result + b * 2 ** 28;
      }
      result |= (b & 0x7f) << (7 * i);
      if (!(b & 0x80)) return result >>> 0;
    }
    return this.fail('unreachable');
  }

  /**
   * Skip a LEB128 of at most `maxBytes` bytes whose last allowed byte must satisfy
   * `lastOk` (the unused high bits must be zero or the sign extension).
   */
  skipLeb(maxBytes, lastOk, what) {
    const start = this.pos;
    for (let i = 0; i < maxBytes; i++) {
      if (this.pos >= this.end) this.fail(`truncated LEB128 ${what} (before ${this.endLabel()})`, start);
      const b = this.buf[this.pos++];
      if (i === maxBytes - 1) {
        if (!lastOk(b)) this.fail(`LEB128 ${what} is too long or out of range (${hexBytes(this.buf, start, this.pos)})`, start);
        return;
      }
      if (!(b & 0x80)) return;
    }
  }

  s32() { this.skipLeb(5, (b) => b <= 0x07 || (b >= 0x78 && b <= 0x7f), 's32'); }
  s33() { this.skipLeb(5, (b) => b <= 0x0f || (b >= 0x70 && b <= 0x7f), 's33 (block type)'); }
  s64() { this.skipLeb(10, (b) => b === 0x00 || b === 0x7f, 's64'); }
  u64() { this.skipLeb(10, (b) => b === 0x00 || b === 0x01, 'u64'); }

  valtype() {
    const at = this.pos;
    const t = this.u8();
    // i32 i64 f32 f64 v128 funcref externref
    if (t === 0x7f || t === 0x7e || t === 0x7d || t === 0x7c || t === 0x7b || t === 0x70 || t === 0x6f) return t;
    return this.fail(`unsupported value type ${hex(t)}`, at);
  }

  /** memarg: u32 align (bit 6 = a memory index follows, multi-memory), [u32 memidx], offset (u64 covers memory64). */
  memarg() {
    const align = this.u32();
    if (align & 0x40) this.u32();
    this.u64();
  }

  name() {
    const n = this.u32();
    const start = this.pos;
    this.skip(n);
    return this.buf.subarray(start, start + n);
  }

  limits() {
    const at = this.pos;
    const flags = this.u8();
    if (flags > 0x07) this.fail(`unsupported limits flags ${hex(flags)}`, at);
    const is64 = flags & 0x04;
    if (is64) this.u64(); else this.u32();
    if (flags & 0x01) { if (is64) this.u64(); else this.u32(); }
  }
}

function encodeU32(value, width = 1) {
  const out = [];
  do {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  } while (value !== 0);
  out[out.length - 1] &= 0x7f;
  while (out.length < width && out.length < 5) {
    out[out.length - 1] |= 0x80;
    out.push(0);
  }
  return Uint8Array.from(out);
}

function concat(parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function readSections(bytes) {
  if (bytes.length < 8) {
    throw new WasmRewriteError(`not a WebAssembly module: ${bytes.length} byte(s), shorter than the 8-byte header`, 0);
  }
  if (bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new WasmRewriteError(`not a WebAssembly module: bad magic ${hexBytes(bytes, 0, 4)} (expected 0x00 0x61 0x73 0x6d)`, 0);
  }
  if (bytes[4] !== 0x01 || bytes[5] !== 0x00 || bytes[6] !== 0x00 || bytes[7] !== 0x00) {
    throw new WasmRewriteError(`unsupported WebAssembly binary version ${hexBytes(bytes, 4, 8)} (expected 0x01 0x00 0x00 0x00)`, 4);
  }
  const sections = [];
  const r = new Reader(bytes, 8, bytes.length, 'module');
  while (r.pos < bytes.length) {
    const start = r.pos;
    const id = r.u8();
    r.context = `section id ${id} at ${hex(start)}`;
    if (id > 13) r.fail(`unknown section id ${id}`, start);
    const sizeStart = r.pos;
    const size = r.u32();
    const payloadStart = r.pos;
    if (size > bytes.length - payloadStart) {
      r.fail(`truncated: section size ${size} runs ${size - (bytes.length - payloadStart)} byte(s) past the end of the file`, sizeStart);
    }
    const sec = { id, start, sizeStart, payloadStart, payloadEnd: payloadStart + size };
    if (id === 0) {
      const cr = new Reader(bytes, payloadStart, sec.payloadEnd, `custom section at ${hex(start)}`);
      sec.name = new TextDecoder().decode(cr.name());
      sec.contentStart = cr.pos;
    }
    sections.push(sec);
    r.pos = sec.payloadEnd;
    r.context = 'module';
  }
  return sections;
}

function countImportedFunctions(bytes, sec) {
  const r = new Reader(bytes, sec.payloadStart, sec.payloadEnd, 'import section');
  const n = r.u32();
  let funcs = 0;
  for (let i = 0; i < n; i++) {
    r.name();
    r.name();
    const at = r.pos;
    const kind = r.u8();
    switch (kind) {
      case 0x00: // function: type index
        r.u32();
        funcs++;
        break;
      case 0x01: { // table: reftype, limits
        const t = r.u8();
        if (t !== 0x70 && t !== 0x6f) r.fail(`unsupported table element type ${hex(t)}`, at + 1);
        r.limits();
        break;
      }
      case 0x02: r.limits(); break; // memory
      case 0x03: r.valtype(); r.u8(); break; // global: valtype, mutability
      case 0x04: r.u8(); r.u32(); break; // tag: attribute, type index
      default: r.fail(`unknown import kind ${hex(kind)}`, at);
    }
  }
  if (r.pos !== sec.payloadEnd) r.fail(`${sec.payloadEnd - r.pos} unexpected byte(s) at the end of the section`);
  return funcs;
}

/** Function names from the "name" custom section, if there is a readable one (best effort). */
function functionNames(bytes, sec) {
  const names = new Map();
  try {
    const r = new Reader(bytes, sec.contentStart, sec.payloadEnd, 'name section');
    const dec = new TextDecoder();
    while (r.pos < r.end) {
      const id = r.u8();
      const size = r.u32();
      const end = r.pos + size;
      if (id === 1) {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const idx = r.u32();
          names.set(idx, dec.decode(r.name()));
        }
      }
      r.pos = end;
    }
  } catch {
    // A broken name section only costs us nicer error messages.
  }
  return names;
}

/**
 * Walk one function body (locals, then instructions up to its final `end`).
 * Pushes rewrites into `patches` and counts into `counts` / `alreadyFinal`.
 */
function decodeBody(r, bodyEnd, patches, counts, alreadyFinal) {
  const buf = r.buf;
  const groups = r.u32();
  for (let i = 0; i < groups; i++) {
    r.u32();
    r.valtype();
  }
  let depth = 0;
  for (;;) {
    if (r.pos >= bodyEnd) r.fail('truncated: the function body ends without its final end (0x0b)');
    const at = r.pos;
    const op = buf[r.pos++];
    if (op >= 0x45 && op <= 0xc4) continue; // numeric instructions: no immediates
    switch (op) {
      case 0x00: case 0x01: case 0x05: case 0x0f: case 0x1a: case 0x1b: case 0xd1:
        break;
      case 0x02: case 0x03: case 0x04: // block loop if
        r.s33();
        depth++;
        break;
      case 0x0b:
        if (depth === 0) {
          if (r.pos !== bodyEnd) r.fail(`the function's final end is followed by ${bodyEnd - r.pos} more byte(s) inside the body`, at);
          return;
        }
        depth--;
        break;
      case 0x0c: case 0x0d: case 0x10: case 0x12: // br br_if call return_call
      case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: // local.* global.*
      case 0x25: case 0x26: // table.get table.set
      case 0x3f: case 0x40: // memory.size memory.grow (memory index; 0x00 in MVP)
      case 0xd2: // ref.func
        r.u32();
        break;
      case 0x0e: { // br_table
        const n = r.u32();
        for (let i = 0; i <= n; i++) r.u32();
        break;
      }
      case 0x11: case 0x13: // call_indirect return_call_indirect: type, table
        r.u32();
        r.u32();
        break;
      case 0x1c: { // select t*
        const n = r.u32();
        for (let i = 0; i < n; i++) r.valtype();
        break;
      }
      case 0x41: r.s32(); break;
      case 0x42: r.s64(); break;
      case 0x43: r.skip(4); break;
      case 0x44: r.skip(8); break;
      case 0xd0: { // ref.null heaptype
        const t = r.u8();
        if (t !== 0x70 && t !== 0x6f) r.fail(`unsupported ref.null heap type ${hex(t)}`, r.pos - 1);
        break;
      }
      case 0xfc: decodeFC(r, at); break;
      case 0xfd: decodeFD(r, at, patches, counts, alreadyFinal); break;
      case 0xfe: decodeFE(r, at); break;
      default:
        if (op >= 0x28 && op <= 0x3e) { r.memarg(); break; }
        r.fail(`unknown or unsupported opcode ${hex(op)}${REJECTED_NAMES[op] ? ` (${REJECTED_NAMES[op]})` : ''}`, at);
    }
  }
}

function decodeFC(r, at) {
  const sub = r.u32();
  if (sub <= 7) return; // trunc_sat
  switch (sub) {
    case 8: r.u32(); r.u32(); return; // memory.init data, mem
    case 9: r.u32(); return; // data.drop
    case 10: r.u32(); r.u32(); return; // memory.copy mem, mem
    case 11: r.u32(); return; // memory.fill mem
    case 12: r.u32(); r.u32(); return; // table.init elem, table
    case 13: r.u32(); return; // elem.drop
    case 14: r.u32(); r.u32(); return; // table.copy
    case 15: case 16: case 17: r.u32(); return; // table.grow/size/fill
    default: r.fail(`unknown opcode 0xfc ${hexBytes(r.buf, at + 1, r.pos)} (subopcode ${sub})`, at);
  }
}

function decodeFE(r, at) {
  const sub = r.u32();
  if (sub === 0x03) { // atomic.fence
    const b = r.u8();
    if (b !== 0x00) r.fail(`atomic.fence: expected a 0x00 byte, got ${hex(b)}`, r.pos - 1);
    return;
  }
  if (sub <= 0x02 || (sub >= 0x10 && sub <= 0x4e)) { r.memarg(); return; }
  r.fail(`unknown atomic opcode 0xfe ${hexBytes(r.buf, at + 1, r.pos)} (subopcode ${sub})`, at);
}

function decodeFD(r, at, patches, counts, alreadyFinal) {
  const subAt = r.pos;
  const sub = r.u32();
  if (sub <= 0x0b) { r.memarg(); return; } // v128.load*, v128.store
  if (sub <= 0x0d) { r.skip(16); return; } // v128.const, i8x16.shuffle
  if (sub <= 0x14) return; // swizzle, splats
  if (sub <= 0x22) { r.skip(1); return; } // extract_lane, replace_lane
  if (sub <= 0x53) return; // comparisons, bitwise, any_true
  if (sub <= 0x5b) { r.memarg(); r.skip(1); return; } // load*_lane, store*_lane
  if (sub <= 0x5d) { r.memarg(); return; } // load32_zero, load64_zero
  if (sub <= 0xff) {
    if (!SIMD_GAPS.has(sub)) return; // every other SIMD128 instruction: no immediates
    const rw = REWRITES[sub];
    if (rw) {
      patches.push({ at: subAt, end: r.pos, bytes: encodeU32(rw.sub) });
      counts[rw.key]++;
      return;
    }
    const bytes = hexBytes(r.buf, at, r.pos);
    if (DRAFT_RELAXED[sub]) {
      r.fail(`unsupported pre-standard relaxed-SIMD opcode ${bytes} (${DRAFT_RELAXED[sub]}, LLVM 14 draft encoding, `
        + `subopcode ${hex(sub)}): only f32x4.relaxed_fma (0xaf) and i32x4.laneselect (0xd2) are rewritten; `
        + 'see docs/RELAXED_SIMD.md', at);
    }
    r.fail(`unknown SIMD opcode ${bytes} (subopcode ${hex(sub)} is not a SIMD128 instruction)`, at);
  }
  if (sub <= 0x113) { // final relaxed SIMD (i8x16.relaxed_swizzle .. i32x4.relaxed_dot_i8x16_i7x16_add_s): no immediates
    if (sub === REWRITES[0xaf].sub) alreadyFinal.madd++;
    else if (sub === REWRITES[0xd2].sub) alreadyFinal.dot++;
    return;
  }
  r.fail(`unknown SIMD opcode ${hexBytes(r.buf, at, r.pos)} (subopcode ${hex(sub)})`, at);
}

/**
 * Rewrite the two draft relaxed-SIMD opcodes of a linked module to their final
 * encodings.
 * @param {Uint8Array} bytes the module
 * @returns {{ bytes: Uint8Array, counts: { madd: number, dot: number },
 *   alreadyFinal: { madd: number, dot: number }, warnings: string[] }}
 *   `bytes` is a new array (a plain copy when nothing changed); `counts` are the
 *   rewrites made; `alreadyFinal` counts final-encoded f32x4.relaxed_madd and
 *   i32x4.relaxed_dot_i8x16_i7x16_add_s already present (a module rewritten before).
 * @throws {WasmRewriteError} on a malformed module, an unknown opcode or any other
 *   draft relaxed-SIMD opcode
 */
export function rewriteRelaxedOpcodes(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('rewriteRelaxedOpcodes: expected a Uint8Array');
  const sections = readSections(bytes);
  const counts = { madd: 0, dot: 0 };
  const alreadyFinal = { madd: 0, dot: 0 };
  const warnings = [];

  let importedFuncs = 0;
  let declaredFuncs = null;
  let code = null;
  let names = new Map();
  for (const sec of sections) {
    if (sec.id === 2) importedFuncs = countImportedFunctions(bytes, sec);
    else if (sec.id === 3) declaredFuncs = new Reader(bytes, sec.payloadStart, sec.payloadEnd, 'function section').u32();
    else if (sec.id === 10) {
      if (code) throw new WasmRewriteError(`a second code section at ${where(sec.start)}`, sec.start);
      code = sec;
    } else if (sec.id === 0 && sec.name === 'name') names = functionNames(bytes, sec);
  }
  if (!code) {
    if (declaredFuncs) throw new WasmRewriteError(`the function section declares ${declaredFuncs} function(s) but there is no code section`, 0);
    return { bytes: bytes.slice(), counts, alreadyFinal, warnings };
  }

  const r = new Reader(bytes, code.payloadStart, code.payloadEnd, 'code section');
  const count = r.u32();
  if (count !== (declaredFuncs ?? 0)) {
    r.fail(`the code section has ${count} function bodies but the function section declares ${declaredFuncs ?? 0}`, code.payloadStart);
  }
  const changed = [];
  for (let i = 0; i < count; i++) {
    const index = importedFuncs + i;
    const label = `function ${index}${names.has(index) ? ` "${names.get(index)}"` : ''} (code entry ${i})`;
    r.context = `code section, ${label}`;
    r.end = code.payloadEnd;
    const sizeStart = r.pos;
    const size = r.u32();
    const contentStart = r.pos;
    if (size > code.payloadEnd - contentStart) {
      r.fail(`truncated: body size ${size} runs past the end of the code section at ${hex(code.payloadEnd)}`, sizeStart);
    }
    const contentEnd = contentStart + size;
    r.context = label;
    r.end = contentEnd;
    const patches = [];
    decodeBody(r, contentEnd, patches, counts, alreadyFinal);
    if (patches.length) changed.push({ sizeStart, contentStart, contentEnd, patches });
    r.pos = contentEnd;
  }
  r.context = 'code section';
  r.end = code.payloadEnd;
  if (r.pos !== code.payloadEnd) r.fail(`${code.payloadEnd - r.pos} unexpected byte(s) after the last function body`);

  if (!changed.length) return { bytes: bytes.slice(), counts, alreadyFinal, warnings };

  const parts = [];
  let cursor = code.payloadStart;
  for (const f of changed) {
    parts.push(bytes.subarray(cursor, f.sizeStart));
    const pieces = [];
    let c = f.contentStart;
    for (const p of f.patches) {
      pieces.push(bytes.subarray(c, p.at), p.bytes);
      c = p.end;
    }
    pieces.push(bytes.subarray(c, f.contentEnd));
    const newSize = pieces.reduce((n, p) => n + p.length, 0);
    parts.push(newSize === f.contentEnd - f.contentStart
      ? bytes.subarray(f.sizeStart, f.contentStart)
      : encodeU32(newSize, f.contentStart - f.sizeStart));
    for (const p of pieces) parts.push(p); // not push(...pieces): no argument-count limit
    cursor = f.contentEnd;
  }
  parts.push(bytes.subarray(cursor, code.payloadEnd));
  const newPayload = parts.reduce((n, p) => n + p.length, 0);
  const oldPayload = code.payloadEnd - code.payloadStart;
  if (newPayload !== oldPayload) {
    const debug = sections.filter((s) => s.id === 0 && (s.name.startsWith('.debug_') || s.name === 'sourceMappingURL'));
    if (debug.length) {
      warnings.push(`the code section changed size (${oldPayload} -> ${newPayload} bytes): code offsets in `
        + `${debug.map((s) => s.name).join(', ')} no longer match`);
    }
  }
  const out = concat([
    bytes.subarray(0, code.sizeStart),
    newPayload === oldPayload ? bytes.subarray(code.sizeStart, code.payloadStart)
      : encodeU32(newPayload, code.payloadStart - code.sizeStart),
    ...parts,
    bytes.subarray(code.payloadEnd),
  ]);
  return { bytes: out, counts, alreadyFinal, warnings };
}

function writeAtomically(path, data) {
  const abs = resolve(path);
  const tmp = join(dirname(abs), `.${basename(abs)}.${process.pid}.${Date.now()}.tmp`);
  const mode = statSync(abs, { throwIfNoEntry: false })?.mode;
  try {
    writeFileSync(tmp, data, { flag: 'wx' });
    if (mode !== undefined) chmodSync(tmp, mode & 0o7777);
    renameSync(tmp, abs);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw e;
  }
}

const USAGE = `usage: node scripts/wasm-relaxed-opcodes.mjs [--expect-madd] IN.wasm [OUT.wasm]
Rewrites LLVM 14's draft relaxed-SIMD opcodes (f32x4.relaxed_fma 0xfd 0xaf 0x01, i32x4.laneselect
0xfd 0xd2 0x01) to f32x4.relaxed_madd and i32x4.relaxed_dot_i8x16_i7x16_add_s. OUT defaults to IN.
  --expect-madd  fail if the module has no f32x4.relaxed_madd (a kernel lost its FMA)`;

function fmt(c) {
  return `${c.madd} f32x4.relaxed_madd, ${c.dot} i32x4.relaxed_dot_i8x16_i7x16_add_s`;
}

/** CLI; returns the exit code. */
export function main(argv, { stdout = process.stdout, stderr = process.stderr } = {}) {
  const positional = [];
  let expectMadd = false;
  let flagsDone = false;
  for (const a of argv) {
    if (flagsDone || !a.startsWith('-')) positional.push(a);
    else if (a === '--') flagsDone = true;
    else if (a === '--expect-madd') expectMadd = true;
    else if (a === '--help' || a === '-h') {
      stdout.write(`${USAGE}\n`);
      return 0;
    } else {
      stderr.write(`${TOOL}: error: unknown option ${a}\n${USAGE}\n`);
      return 1;
    }
  }
  if (positional.length < 1 || positional.length > 2) {
    stderr.write(`${TOOL}: error: expected IN.wasm [OUT.wasm]\n${USAGE}\n`);
    return 1;
  }
  const [input, output = input] = positional;
  const label = output === input ? input : `${input} -> ${output}`;
  try {
    const result = rewriteRelaxedOpcodes(new Uint8Array(readFileSync(input)));
    for (const w of result.warnings) stderr.write(`${TOOL}: ${input}: warning: ${w}\n`);
    if (expectMadd && result.counts.madd + result.alreadyFinal.madd === 0) {
      stderr.write(`${TOOL}: ${input}: error: --expect-madd: no f32x4.relaxed_fma (0xfd 0xaf 0x01) to rewrite and no `
        + 'f32x4.relaxed_madd in the module: was it linked with -mrelaxed-simd, and does the kernel still call '
        + '__builtin_wasm_fma_f32x4? (nothing written)\n');
      return 1;
    }
    const rewrote = result.counts.madd + result.counts.dot > 0;
    if (rewrote || output !== input) writeAtomically(output, result.bytes);
    const final = result.alreadyFinal.madd + result.alreadyFinal.dot > 0 ? ` (already final: ${fmt(result.alreadyFinal)})` : '';
    const unchanged = !rewrote && output === input ? ' (file unchanged)' : '';
    stdout.write(`${TOOL}: ${label}: ${fmt(result.counts)}${final}${unchanged}\n`);
    return 0;
  } catch (e) {
    stderr.write(`${TOOL}: ${input}: error: ${e instanceof WasmRewriteError ? e.message : e?.message ?? e}\n`);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
