// The options objects the engine parses (generation, training) go to it as
// JSON: what JSON cannot carry is refused here by name (a function, a
// symbol, a bigint, NaN or Infinity), everything else is the engine's to check.

/**
 * @param {object} options
 * @param {string} fn the API call, for messages
 * @returns {string}
 */
export function engineJson(options, fn) {
  try {
    return stringify(options, fn);
  } catch (e) {
    // JSON.stringify's own failures: a cycle (TypeError) or nesting deeper than the stack (RangeError).
    if (e instanceof RangeError) throw new Error(`${fn}: options are nested too deeply to be plain data`);
    if (e instanceof TypeError && /circular/i.test(e.message)) throw new Error(`${fn}: options contain a cycle (an object that contains itself)`);
    throw e;
  }
}

function stringify(options, fn) {
  return JSON.stringify(options, (key, value) => {
    const name = key === '' ? 'options' : key;
    if (typeof value === 'function' || typeof value === 'symbol') {
      throw new Error(`${fn}: option '${name}' must be plain data, got a ${typeof value}`);
    }
    if (typeof value === 'bigint') throw new Error(`${fn}: ${name} must be a number, got a bigint`);
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`${fn}: ${name} must be a finite number, got ${value}`);
    return ArrayBuffer.isView(value) ? Array.from(value) : value;
  });
}
