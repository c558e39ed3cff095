// The generation token loop: one synchronous wasm next() per token, yielding
// to the event loop between tokens so streaming, AbortSignal and Worker
// proxying need no Asyncify. Every rule (options, sampling, stop sequences,
// finish reasons, the max_seq_len warning) is decided by the engine
// (cpp/generation/); this loop only streams what it says.
import { Utf8Stream } from './text.js';
import { yieldToEventLoop } from './yield.js';

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** The one-time warning of a generation whose context passes max_seq_len in the exact mode. */
export function pastContextWarning(maxSeqLen) {
  return `the context passes max_seq_len (${maxSeqLen}): from here on the exact mode (the reference package's) re-encodes the ` +
    `last ${maxSeqLen} tokens for every new token, about 100x slower per token; context_mode: 'reencode' is the fast mode`;
}

/**
 * Yields one step per new token: { token, text, index, context_length, ms, attention?, warning? }.
 * `result.finish_reason` is set when the loop ends ('length' | 'eos' | 'stop' |
 * 'abort'), `result.tail` holds text an unfinished character held back, and
 * `result.warnings` what was said on the way (`step.warning`).
 * @param {any} Module the wasm module
 * @param {any} native its WasmModel
 * @param {object} config the model's config
 * @param {number[]} prompt token ids (validated)
 * @param {{ json: string, signal: AbortSignal|null }} o the engine's options (JSON) and the abort signal
 * @param {number} stream random stream (the row of a batch)
 * @param {{ finish_reason?: string, tail?: string, warnings?: string[] }} result
 * @param {() => void} checkAlive throws when the model was disposed meanwhile
 */
export async function* tokenLoop(Module, native, config, prompt, o, stream, result, checkAlive) {
  result.finish_reason = 'length';
  result.tail = '';
  result.warnings = [];
  const gen = new Module.WasmGenerator(native);
  const check = (ok) => { if (!ok) throw new Error(`generate: ${gen.error()}`); };
  try {
    check(gen.configure(o.json, stream));
    if (gen.maxNewTokens() === 0) return;
    const view = native.inputTokens(prompt.length);
    if (view === null) throw new Error(native.error());
    view.set(prompt);
    check(gen.prefill(prompt.length));
    const utf8 = config.num_tokens === 256 ? new Utf8Stream() : null;
    const probing = gen.probeLayer() >= 0;
    for (let index = 0; ; index++) {
      if (o.signal?.aborted) { result.finish_reason = 'abort'; return; }
      const t0 = now();
      const token = gen.next();
      if (token < 0) throw new Error(`generate: ${gen.error()}`);
      const ms = now() - t0;
      const finish = gen.finishReason();
      let text = utf8 ? utf8.push(token) : '';
      if (finish && utf8) text += utf8.flush();
      const step = { token, text, index, context_length: gen.contextLength(), ms };
      if (gen.passesContextLimit()) {
        step.warning = pastContextWarning(config.max_seq_len);
        result.warnings.push(step.warning);
      }
      if (probing && gen.probeValid()) {
        step.attention = {
          probs: gen.probe().slice(),
          num_global: gen.probeNumGlobal(),
          local_first_pos: gen.probeLocalFirstPos(),
          query_pos: gen.probeQueryPos(),
          window_size: config.window_size,
          segment_size: config.segment_size,
          r: config.r,
          layer: gen.probeLayer(),
          head: gen.probeHead(),
        };
      }
      yield step;
      if (finish) { result.finish_reason = finish; return; }
      await yieldToEventLoop();
      checkAlive();
    }
  } finally {
    gen.release();
    gen.delete();
  }
}
