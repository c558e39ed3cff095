// The error an aborted load() rejects with: the signal's reason when it is an
// Error, else an Error named AbortError (as fetch() does).

/** @param {AbortSignal|undefined|null} signal */
export function abortError(signal) {
  const reason = signal?.reason;
  if (reason instanceof Error) return reason;
  const e = new Error(`load was aborted${reason !== undefined ? `: ${reason}` : ''}`);
  e.name = 'AbortError';
  return e;
}

/** Throws abortError(signal) when `signal` has aborted. */
export function throwIfAborted(signal) {
  if (signal?.aborted) throw abortError(signal);
}

/** Checks a user's `signal` option. */
export function checkSignal(signal, fn) {
  if (signal !== undefined && signal !== null && (typeof signal !== 'object' || typeof signal.aborted !== 'boolean')) {
    throw new TypeError(`${fn}: signal must be an AbortSignal, got ${typeof signal}`);
  }
}
