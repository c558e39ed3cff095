// The generation token loop (the seed's generate(), SPEC 5): one synchronous
// wasm step() and sample() per token, yielding to the event loop between
// tokens so streaming, AbortSignal and Worker proxying need no Asyncify.
import { Utf8Stream } from './text.js';
import { yieldToEventLoop } from './yield.js';

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** The one-time warning of a generation whose context passes max_seq_len in the exact mode. */
export function pastContextWarning(maxSeqLen) {
  return `the context passes max_seq_len (${maxSeqLen}): from here on the exact mode (the seed's) re-encodes the ` +
    `last ${maxSeqLen} tokens for every new token, about 100x slower per token; context_mode: 'reencode' is the fast mode`;
}

function endsWith(seq, tail) {
  if (seq.length < tail.length) return false;
  for (let i = 1; i <= tail.length; i++) if (seq[seq.length - i] !== tail[tail.length - i]) return false;
  return true;
}

/**
 * Yields one step per new token: { token, text, index, context_length, ms, attention? }.
 * `result.finish_reason` is set when the loop ends ('length' | 'eos' | 'stop' |
 * 'abort'), `result.tail` holds text an unfinished character held back, and
 * `result.warnings` what was said on the way (`step.warning`).
 * @param {any} Module the wasm module
 * @param {any} native its WasmModel
 * @param {object} config the model's config
 * @param {number[]} prompt token ids (validated)
 * @param {object} o normalized options (options.js)
 * @param {number} stream random stream (the row of a batch)
 * @param {{ finish_reason?: string, tail?: string, warnings?: string[] }} result
 * @param {() => void} checkAlive throws when the model was disposed meanwhile
 */
export async function* tokenLoop(Module, native, config, prompt, o, stream, result, checkAlive) {
  result.finish_reason = 'length';
  result.tail = '';
  result.warnings = [];
  let warned = false;
  if (o.max_new_tokens === 0) return;
  const gen = new Module.WasmGenerator(native);
  const check = (ok) => { if (!ok) throw new Error(gen.error()); };
  try {
    check(gen.configure(o.exact, o.reencode_every, o.attention ? o.attention.layer : -1, o.attention ? o.attention.head : 0));
    check(gen.setSampling(o.do_sample, o.temperature, o.filter_thres, o.top_k, o.top_p, o.seed, stream));
    const view = native.inputTokens(prompt.length);
    if (view === null) throw new Error(native.error());
    view.set(prompt);
    let t0 = now();
    check(gen.prefill(prompt.length));
    const utf8 = config.num_tokens === 256 ? new Utf8Stream() : null;
    const tokens = [];
    for (let i = 0; i < o.max_new_tokens; i++) {
      if (o.signal?.aborted) { result.finish_reason = 'abort'; return; }
      const token = gen.sample(i);
      if (token < 0) throw new Error(gen.error());
      const ms = now() - t0;
      tokens.push(token);
      let finish = null;
      if (token === o.eos_token) finish = 'eos';
      else if (o.stop.some((s) => endsWith(tokens, s))) finish = 'stop';
      else if (i + 1 === o.max_new_tokens) finish = 'length';
      let text = utf8 ? utf8.push(token) : '';
      if (finish && utf8) text += utf8.flush();
      const step = { token, text, index: i, context_length: gen.contextLength(), ms };
      // The next token passes max_seq_len: the seed's exact mode re-encodes the
      // whole window for every token from here on. Said once, on this step.
      if (o.exact && finish === null && !warned && prompt.length + i + 1 > config.max_seq_len) {
        step.warning = pastContextWarning(config.max_seq_len);
        result.warnings.push(step.warning);
        warned = true;
      }
      if (o.attention && gen.probeValid()) {
        step.attention = {
          probs: gen.probe().slice(),
          num_global: gen.probeNumGlobal(),
          local_first_pos: gen.probeLocalFirstPos(),
          query_pos: gen.probeQueryPos(),
          window_size: config.window_size,
          segment_size: config.segment_size,
          r: config.r,
          layer: o.attention.layer,
          head: o.attention.head,
        };
      }
      yield step;
      if (finish) { result.finish_reason = finish; return; }
      await yieldToEventLoop();
      checkAlive();
      t0 = now();
      check(gen.step(token));
    }
  } finally {
    gen.release();
    gen.delete();
  }
}
