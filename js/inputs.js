// Turns the shapes users pass to forward() (number[], number[][], typed array
// + dims, { data, dims }) into flat (b, n) inputs, checked before any wasm call.
import { describe } from './config.js';

/**
 * @typedef {{ data: ArrayLike<number|bigint|boolean>, dims: number[] }} FlatInput
 */

/**
 * Flattens `input` (a sequence, a batch of sequences, a typed array with
 * `dims`, or `{ data, dims }`) into row-major data and dims [b, n].
 * @param {unknown} input
 * @param {number[]|undefined} dims
 * @param {string} what  'tokens' or 'mask' (for messages)
 * @returns {FlatInput}
 */
export function flatten(input, dims, what) {
  if (input !== null && typeof input === 'object' && !Array.isArray(input) && !ArrayBuffer.isView(input) &&
      'data' in input) {
    return flatten(input.data, dims ?? input.dims, what);
  }
  if (ArrayBuffer.isView(input) && !(input instanceof DataView)) {
    const shape = checkDims(dims ?? [1, input.length], input.length, what);
    return { data: input, dims: shape };
  }
  if (!Array.isArray(input)) {
    throw new TypeError(`${what} must be an array, an array of arrays, a typed array or { data, dims }, got ${describe(input)}`);
  }
  if (input.length === 0) throw new Error(`${what} is empty`);
  if (!Array.isArray(input[0])) {
    for (let i = 0; i < input.length; i++) {
      if (Array.isArray(input[i])) throw new Error(`${what}: mixes numbers and arrays (entry ${i} is an array)`);
    }
    return { data: input, dims: checkDims(dims ?? [1, input.length], input.length, what) };
  }
  const b = input.length;
  const n = input[0].length;
  const data = new Array(b * n);
  for (let i = 0; i < b; i++) {
    const row = input[i];
    if (!Array.isArray(row) && !ArrayBuffer.isView(row)) {
      throw new Error(`${what}: row ${i} is ${describe(row)}, expected an array`);
    }
    if (row.length !== n) {
      throw new Error(`${what}: rows have different lengths (row 0 has ${n}, row ${i} has ${row.length})`);
    }
    for (let j = 0; j < n; j++) data[i * n + j] = row[j];
  }
  return { data, dims: checkDims(dims ?? [b, n], b * n, what) };
}

/**
 * @param {unknown} dims
 * @param {number} length
 * @param {string} what
 * @returns {[number, number]}
 */
function checkDims(dims, length, what) {
  if (!Array.isArray(dims) || (dims.length !== 1 && dims.length !== 2) ||
      !dims.every((d) => Number.isSafeInteger(d) && d >= 1)) {
    throw new Error(`${what}: dims must be [n] or [b, n] of positive integers, got ${JSON.stringify(dims)}`);
  }
  const shape = dims.length === 1 ? [1, dims[0]] : [dims[0], dims[1]];
  if (shape[0] * shape[1] !== length) {
    throw new Error(`${what}: dims [${shape.join(', ')}] need ${shape[0] * shape[1]} entries, got ${length}`);
  }
  return shape;
}

/**
 * Checks token ids (integers in [0, numTokens)) and writes them into `out`.
 * @param {FlatInput} tokens
 * @param {number} numTokens
 * @param {Int32Array} out
 */
export function writeTokens(tokens, numTokens, out) {
  const { data, dims: [, n] } = tokens;
  if (data instanceof Int32Array || data instanceof Uint16Array || data instanceof Uint8Array ||
      data instanceof Int16Array || data instanceof Int8Array) {
    // Integers already: a range check, then one copy.
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v < 0 || v >= numTokens) throw outOfRange(v, i, n, numTokens);
    }
    out.set(data);
    return;
  }
  for (let i = 0; i < data.length; i++) {
    let v = data[i];
    if (typeof v === 'bigint') {
      if (v < 0n || v >= BigInt(numTokens)) throw outOfRange(v, i, n, numTokens);
      v = Number(v);
    } else if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new Error(`token id ${describe(v)} at [${Math.floor(i / n)}, ${i % n}] is not an integer`);
    } else if (v < 0 || v >= numTokens) {
      throw outOfRange(v, i, n, numTokens);
    }
    out[i] = v;
  }
}

function outOfRange(v, i, n, numTokens) {
  return new Error(`token id ${v} at [${Math.floor(i / n)}, ${i % n}] is out of range [0, ${numTokens})`);
}

/**
 * Checks a mask (booleans or 0/1) and writes it into `out` as 0/1.
 * @param {FlatInput} mask
 * @param {Uint8Array} out
 */
export function writeMask(mask, out) {
  const { data, dims: [, n] } = mask;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v === true || v === 1 || v === 1n) out[i] = 1;
    else if (v === false || v === 0 || v === 0n) out[i] = 0;
    else throw new Error(`mask value ${describe(v)} at [${Math.floor(i / n)}, ${i % n}] is not a boolean or 0/1`);
  }
}
