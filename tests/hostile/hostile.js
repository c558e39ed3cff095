// The hostile-input suite's shared machinery: hand-made safetensors files,
// and the rule every case is held to: it ends, within its time bound, in a
// named error (an Error whose message matches `expect` and stays short: a
// hostile value is never echoed whole) or in a documented result (`expect`
// a function that checks it).
import assert from 'node:assert/strict';

/** A message longer than this echoes its input. */
export const MAX_MESSAGE = 600;

/** A safetensors file from a header text (or object) and data bytes; `length` overrides the 8-byte prefix. */
export function rawSafetensors(header, data = new Uint8Array(0), length) {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const head = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + head.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(head.length), true);
  out.set(head, 8);
  out.set(data, 8 + head.length);
  return out;
}

/** `n` nested arrays: [[[...]]]. */
export const nested = (n) => '['.repeat(n) + ']'.repeat(n);

/** One F32 tensor entry and its bytes, for hand-made headers. */
export function f32(values) {
  return new Uint8Array(Float32Array.from(values).buffer);
}

function bounded(promise, ms, name) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`case '${name}' did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs one case: `run()` (sync or async) must settle within `ms` and either
 * throw an Error matching `expect` (a RegExp), or return a value that
 * `expect` (a function) accepts.
 */
export async function outcome(c, ms = 15_000) {
  const t0 = performance.now();
  let value;
  let error = null;
  try {
    value = await bounded(Promise.resolve().then(() => c.run()), c.ms ?? ms, c.name);
  } catch (e) {
    error = e;
  }
  const elapsed = performance.now() - t0;
  assert.ok(elapsed <= (c.ms ?? ms), `'${c.name}' took ${elapsed.toFixed(0)} ms (bound ${c.ms ?? ms} ms)`);
  if (c.expect instanceof RegExp) {
    assert.ok(error, `'${c.name}': expected an error matching ${c.expect}, got a result`);
    assert.ok(error instanceof Error, `'${c.name}': expected an Error, got ${String(error).slice(0, 200)}`);
    assert.ok(!/\[object Object\]|BindingError|could not be cloned|bad_alloc|stoi|Maximum call stack/.test(error.message),
      `'${c.name}': a raw message: ${error.message.slice(0, 300)}`);
    assert.match(error.message, c.expect, `'${c.name}'`);
    assert.ok(error.message.length <= MAX_MESSAGE, `'${c.name}': a ${error.message.length}-character message`);
  } else {
    if (error) throw error;
    await c.expect(value);
  }
  return elapsed;
}

/** Element-wise equality of two Float32Arrays (bit for bit, NaN never equal). */
export function assertSameLogits(got, want, what) {
  assert.equal(got.length, want.length, `${what}: ${got.length} logits, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) assert.fail(`${what}: logit ${i} is ${got[i]}, was ${want[i]} before`);
  }
}
