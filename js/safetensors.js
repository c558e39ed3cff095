// A small safetensors reader: the header (names, dtypes, shapes, metadata)
// and tensors as typed arrays. Bounds-checked; throws naming the problem.

const DTYPE_BYTES = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
const MAX_HEADER = 100_000_000;

/**
 * @typedef {{ dtype: string, shape: number[], begin: number, end: number }} TensorInfo
 * @typedef {{ metadata: Record<string, string>, tensors: Map<string, TensorInfo>, dataOffset: number }} SafetensorsHeader
 */

/**
 * Checks the header's JSON text before parsing it, as the engine does
 * (core/json_limits.h, cpp/io/safetensors.cpp): nesting at most `max` levels,
 * and no key twice in one object (JSON.parse would keep the last silently).
 */
function scanHeader(text, max) {
  const stack = [];   // per open container: a Set of keys (object) or null (array)
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack.at(-1);
      if (expectKey && top) {
        const key = text.slice(i + 1, j);
        if (top.has(key)) throw new Error(`safetensors: duplicate key ${JSON.stringify(key.slice(0, 40))} in the header`);
        top.add(key);
        expectKey = false;
      }
      i = j;
    } else if (ch === '{' || ch === '[') {
      stack.push(ch === '{' ? new Set() : null);
      if (stack.length > max) throw new Error(`safetensors: header JSON nested more than ${max} levels deep`);
      expectKey = ch === '{';
    } else if (ch === '}' || ch === ']') {
      stack.pop();
      expectKey = false;
    } else if (ch === ',') {
      expectKey = stack.at(-1) instanceof Set;
    }
  }
}

/**
 * Parses the header of a safetensors file held in memory.
 * @param {Uint8Array} bytes
 * @returns {SafetensorsHeader}
 */
export function readSafetensorsHeader(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('readSafetensorsHeader: expected a Uint8Array');
  if (bytes.length < 8) throw new Error(`safetensors: file of ${bytes.length} bytes is too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = view.getBigUint64(0, true);
  if (len > BigInt(MAX_HEADER)) throw new Error(`safetensors: header length ${len} is absurd`);
  const headerLen = Number(len);
  if (8 + headerLen > bytes.length) {
    throw new Error(`safetensors: header of ${headerLen} bytes runs past the end of the ${bytes.length}-byte file`);
  }
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + headerLen));
  scanHeader(text, 3);
  let json;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`safetensors: header is not valid JSON (${e.message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('safetensors: header is not a JSON object');
  const dataOffset = 8 + headerLen;
  const dataLength = bytes.length - dataOffset;
  const tensors = new Map();
  const spans = [];
  let metadata = {};
  // The same rules as the engine's fuzzed reader (cpp/io/safetensors.cpp).
  for (const [name, info] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (info === null || typeof info !== 'object' || Array.isArray(info) ||
          !Object.values(info).every((v) => typeof v === 'string')) {
        throw new Error('safetensors: __metadata__ is not an object of strings');
      }
      metadata = info;
      continue;
    }
    if (info === null || typeof info !== 'object' || Array.isArray(info)) {
      throw new Error(`safetensors: tensor '${name}' is not an object`);
    }
    const size = Object.hasOwn(DTYPE_BYTES, info.dtype) ? DTYPE_BYTES[info.dtype] : 0;
    if (!size) throw new Error(`safetensors: tensor '${name}' has unknown dtype ${JSON.stringify(info.dtype)}`);
    const { shape, data_offsets: off } = info;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`safetensors: tensor '${name}' has a bad shape ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isSafeInteger(x) && x >= 0) ||
        !(off[0] <= off[1]) || off[1] > dataLength) {
      throw new Error(`safetensors: tensor '${name}' has data_offsets ${JSON.stringify(off)} outside the ${dataLength}-byte data`);
    }
    const numel = shape.reduce((a, d) => a * d, 1);
    if (!Number.isSafeInteger(numel * size) || numel * size !== off[1] - off[0]) {
      throw new Error(`safetensors: tensor '${name}' ${info.dtype} [${shape.join(', ')}] needs ${numel * size} bytes, has ${off[1] - off[0]}`);
    }
    spans.push({ name, begin: off[0], end: off[1] });
    tensors.set(name, { dtype: info.dtype, shape, begin: dataOffset + off[0], end: dataOffset + off[1] });
  }
  // Tensors may not share bytes.
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i].begin < spans[i - 1].end) {
      throw new Error(`safetensors: tensors '${spans[i - 1].name}' and '${spans[i].name}' overlap in the data`);
    }
  }
  return { metadata, tensors, dataOffset };
}

/**
 * A parsed safetensors file: `metadata`, `names`, `info(name)` and
 * `get(name)` -> { data, dims, dtype } with F32/F16/BF16/F64 as
 * Float32Array (F64 as Float64Array), I64 as BigInt64Array, BOOL/U8 as
 * Uint8Array, other integers as their typed array.
 */
export class SafetensorsFile {
  /** @param {Uint8Array} bytes */
  constructor(bytes) {
    /** @type {Uint8Array} */
    this.bytes = bytes;
    const header = readSafetensorsHeader(bytes);
    /** @type {Record<string, string>} */
    this.metadata = header.metadata;
    /** @type {Map<string, TensorInfo>} */
    this.tensors = header.tensors;
  }

  /** @returns {string[]} */
  get names() {
    return [...this.tensors.keys()];
  }

  /** @param {string} name */
  has(name) {
    return this.tensors.has(name);
  }

  /**
   * @param {string} name
   * @returns {{ data: Float32Array|Float64Array|BigInt64Array|Int32Array|Int16Array|Int8Array|Uint8Array, dims: number[], dtype: string }}
   */
  get(name) {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`safetensors: missing tensor '${name}'`);
    const raw = this.bytes.slice(t.begin, t.end);  // aligned copy
    const buf = raw.buffer;
    let data;
    switch (t.dtype) {
      case 'F32': data = new Float32Array(buf); break;
      case 'F64': data = new Float64Array(buf); break;
      case 'I64': data = new BigInt64Array(buf); break;
      case 'I32': data = new Int32Array(buf); break;
      case 'I16': data = new Int16Array(buf); break;
      case 'I8': data = new Int8Array(buf); break;
      case 'U8': case 'BOOL': data = raw; break;
      case 'F16': data = Float32Array.from(new Uint16Array(buf), f16ToF32); break;
      case 'BF16': {
        const u = new Uint16Array(buf);
        const u32 = new Uint32Array(u.length);
        for (let i = 0; i < u.length; i++) u32[i] = u[i] << 16;
        data = new Float32Array(u32.buffer);
        break;
      }
      default: throw new Error(`safetensors: unsupported dtype ${t.dtype}`);
    }
    return { data, dims: [...t.shape], dtype: t.dtype };
  }
}

/** @param {number} h IEEE half bits */
function f16ToF32(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
