// Yields to the event loop between tokens, so AbortSignals, Worker messages
// and page repaints get their turn. setTimeout(0) is clamped to 4 ms after a
// few nested calls in browsers; a MessageChannel round trip is not.

let channel = null;
const waiting = [];

export function yieldToEventLoop() {
  if (typeof setImmediate === 'function') return new Promise((r) => setImmediate(r));
  if (typeof MessageChannel === 'function') {
    if (!channel) {
      channel = new MessageChannel();
      channel.port1.onmessage = () => waiting.shift()?.();
    }
    return new Promise((r) => { waiting.push(r); channel.port2.postMessage(0); });
  }
  return new Promise((r) => setTimeout(r, 0));
}
