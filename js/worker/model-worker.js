// The Worker side of LongShortTransformerWorker: hosts one model off the
// caller's thread and answers { id, method, args } messages with
// { id, result } or { id, error }.
import { workerPort } from '#platform';
import { LongShortTransformer } from '../long-short-transformer.js';

const port = await workerPort();
/** @type {LongShortTransformer|null} */
let model = null;

function describeModel(m) {
  return { config: m.config, numParameters: m.numParameters, runtime: m.runtime };
}

/** AbortControllers of the generations running here, by call id. */
const running = new Map();

const methods = {
  async generate(id, prompt, options) {
    const ac = new AbortController();
    running.set(id, ac);
    const { pre_aborted, ...rest } = options;
    if (pre_aborted) ac.abort();
    try {
      return await model.generate(prompt, {
        ...rest, signal: ac.signal,
        callback: (step) => {
          const transfer = step.attention ? [step.attention.probs.buffer] : [];
          port.postMessage({ id, progress: step }, transfer);
          return !ac.stopped;
        },
      });
    } finally {
      running.delete(id);
    }
  },
  abort(id, target) {
    running.get(target)?.abort();
  },
  stop(id, target) {
    const ac = running.get(target);
    if (ac) ac.stopped = true;
  },
  async load(id, source, options) {
    const progress_callback = options.progress ? (info) => port.postMessage({ id, progress: info }) : undefined;
    const { progress, ...rest } = options;
    model = await LongShortTransformer.load(source, { ...rest, progress_callback });
    return describeModel(model);
  },
  async create(id, options) {
    model = await LongShortTransformer.create(options);
    return describeModel(model);
  },
  forward(id, tokens, options) {
    const out = model.forward(tokens, options);
    return { value: out, transfer: [out.data.buffer] };
  },
  save(id, options) {
    const bytes = model.save(options);
    return { value: bytes, transfer: [bytes.buffer] };
  },
  dispose() {
    model?.dispose();
    model = null;
  },
};

port.onmessage = async ({ data: { id, method, args } }) => {
  try {
    if (method === 'abort' || method === 'stop') { methods[method](id, ...args); return; }
    if (method !== 'load' && method !== 'create' && !model) throw new Error('model was disposed');
    const r = await methods[method](id, ...args);
    if (r && typeof r === 'object' && 'transfer' in r) port.postMessage({ id, result: r.value }, r.transfer);
    else port.postMessage({ id, result: r });
  } catch (e) {
    port.postMessage({ id, error: { message: e?.message ?? String(e), name: e?.name } });
  }
};
port.postMessage({ ready: true });
