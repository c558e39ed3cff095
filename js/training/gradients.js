// The reference package's training math on explicit batches, through the wasm: the
// AutoregressiveWrapper loss and every parameter's gradient
// (Trainer.gradients), and train.py's loop on given micro-batches
// (Trainer.trainSteps: gradients summed over accum micro-batches,
// clip_grad_norm_, Adam). What the golden `train_grad` and `train_steps`
// cases check.
import { configToJson, describe } from '../config.js';
import { flatten, writeMask, writeTokens } from '../inputs.js';
import { ENGINE_OPTIONS, checkOptions, heapBuffer, numberOption, readInit, startEngine, terminateWorkers } from './engine.js';

const COMMON = [...ENGINE_OPTIONS, 'config', 'seed'];
const GRAD_OPTIONS = [...COMMON, 'mask', 'dims'];
const STEPS_OPTIONS = [...COMMON, 'mask', 'lr', 'betas', 'eps', 'weight_decay', 'clip'];

/** Named tensors over one flat buffer in state_dict order. */
class FlatTensors {
  constructor(layout, data) {
    /** @type {{ name: string, shape: number[], offset: number, numel: number }[]} */
    this.tensors = layout;
    /** @type {Float32Array} */
    this.data = data;
    this._byName = new Map(layout.map((t) => [t.name, t]));
  }

  /** The values of tensor `name` (a view of data). */
  get(name) {
    const t = this._byName.get(name);
    if (!t) throw new Error(`no parameter '${name}' (known: ${[...this._byName.keys()].join(', ')})`);
    return this.data.subarray(t.offset, t.offset + t.numel);
  }
}

async function open(init, options, fn) {
  if (init === undefined || init === null) {
    if (options.config === undefined) throw new Error(`${fn}: pass initial weights, or options.config for a seeded init`);
  }
  const configJson = options.config === undefined || options.config === null ? '' : configToJson(options.config);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`${fn}: seed must be a non-negative integer, got ${describe(seed)}`);
  const bytes = init === undefined || init === null ? new Uint8Array(0) : await readInit(init, fn);
  const { Module, threads } = await startEngine(options);
  const native = new Module.WasmBatchTrainer();
  let file = null;
  try {
    file = heapBuffer(Module, bytes, 'weight file');
    if (!native.load(file, configJson, seed, threads, options.backend ?? '')) throw new Error(`${fn}: ${native.error()}`);
  } catch (e) {
    close(Module, native);
    throw e;
  } finally {
    file?.release();
    file?.delete();
  }
  const config = JSON.parse(native.configJson());
  const layout = JSON.parse(native.layoutJson());
  return { Module, native, config, layout };
}

function close(Module, native) {
  try {
    native.release();
    native.delete();
  } catch { /* crashed */ }
  terminateWorkers(Module);
}

function writeBatch(native, config, tokens, mask, fn) {
  const [b, n1] = tokens.dims;
  if (n1 < 2) throw new Error(`${fn}: tokens need at least 2 per row (inputs x[:, :-1], targets x[:, 1:]), got [${b}, ${n1}]`);
  const view = native.inputTokens(b * n1);
  if (view === null) throw new Error(`${fn}: ${native.error()}`);
  writeTokens(tokens, config.num_tokens, view);
  if (mask) {
    const mv = native.inputMask(b * n1);
    if (mv === null) throw new Error(`${fn}: ${native.error()}`);
    writeMask(mask, mv);
  }
}

function flattenMask(mask, dims, fn) {
  if (mask === undefined || mask === null) return null;
  const flat = ArrayBuffer.isView(mask) || (Array.isArray(mask) && !Array.isArray(mask[0]));
  const m = flatten(mask, flat ? dims : undefined, 'mask');
  if (m.dims[0] !== dims[0] || m.dims[1] !== dims[1]) {
    throw new Error(`${fn}: mask has shape [${m.dims.join(', ')}] but tokens have shape [${dims.join(', ')}]`);
  }
  return m;
}

/**
 * The reference package's AutoregressiveWrapper loss on `tokens` (b, n+1) and the gradient
 * of every trainable parameter (loss.backward()).
 * @param {any} init safetensors bytes, path, URL or a LongShortTransformer (null: a seeded init of options.config)
 * @param {any} tokens (b, n+1) ids: number[][], a typed array with options.dims, or { data, dims }
 * @param {object} [options] mask (b, n+1), dims, config, seed, threads, threaded, backend, wasmPaths
 * @returns {Promise<{ loss: number, gradients: FlatTensors, config: object }>}
 */
export async function computeGradients(init, tokens, options = {}) {
  const fn = 'Trainer.gradients';
  checkOptions(options, GRAD_OPTIONS, fn);
  const t = flatten(tokens, options.dims, 'tokens');
  const m = flattenMask(options.mask, t.dims, fn);
  const { Module, native, config, layout } = await open(init, options, fn);
  try {
    writeBatch(native, config, t, m, fn);
    native.zeroGrad();
    if (!native.accumulate(t.dims[0], t.dims[1], m !== null)) throw new Error(`${fn}: ${native.error()}`);
    return { loss: native.loss(), gradients: new FlatTensors(layout, native.gradients().slice()), config };
  } finally {
    close(Module, native);
  }
}

/**
 * The reference package's train.py loop on given micro-batches: for each step, the loss
 * and backward of each of its `accum` micro-batches (gradients summed),
 * clip_grad_norm_(clip), Adam (lr, betas, eps; weight_decay > 0: AdamW).
 * @param {any} init initial weights (as computeGradients)
 * @param {{ data: ArrayLike<number|bigint>, dims: number[] }} batches ids of shape [steps, accum, b, n+1]
 * @param {object} [options] mask (b, n+1, every micro-batch), lr 3e-4, betas [0.9, 0.999], eps 1e-8,
 *   weight_decay 0, clip 0.5 (<= 0: none), config, seed, engine options
 * @returns {Promise<{ losses: Float64Array, grad_norms: Float64Array, weights: FlatTensors, file: Uint8Array, config: object }>} (file: the final weights as safetensors)
 */
export async function trainSteps(init, batches, options = {}) {
  const fn = 'Trainer.trainSteps';
  checkOptions(options, STEPS_OPTIONS, fn);
  if (batches === null || typeof batches !== 'object' || !('data' in batches) || !Array.isArray(batches.dims) ||
      batches.dims.length !== 4 || !batches.dims.every((d) => Number.isSafeInteger(d) && d >= 1)) {
    throw new Error(`${fn}: batches must be { data, dims: [steps, accum, b, n+1] }, got ${describe(batches)}`);
  }
  const [steps, accum, b, n1] = batches.dims;
  if (batches.data.length !== steps * accum * b * n1) {
    throw new Error(`${fn}: batches of dims [${batches.dims.join(', ')}] need ${steps * accum * b * n1} ids, got ${batches.data.length}`);
  }
  const lr = numberOption(options, 'lr', fn, { above: 0 }) ?? 3e-4;
  const eps = numberOption(options, 'eps', fn, { above: 0 }) ?? 1e-8;
  const wd = numberOption(options, 'weight_decay', fn, { min: 0 }) ?? 0;
  const clip = numberOption(options, 'clip', fn) ?? 0.5;
  const betas = options.betas ?? [0.9, 0.999];
  if (!Array.isArray(betas) || betas.length !== 2 || !betas.every((x) => typeof x === 'number' && x >= 0 && x < 1)) {
    throw new Error(`${fn}: betas must be [beta1, beta2] in [0, 1), got ${describe(options.betas)}`);
  }
  const m = flattenMask(options.mask, [b, n1], fn);
  const { Module, native, config, layout } = await open(init, options, fn);
  try {
    if (!native.setOptimizer(lr, betas[0], betas[1], eps, wd, true)) throw new Error(`${fn}: ${native.error()}`);
    const losses = new Float64Array(steps * accum);
    const gradNorms = new Float64Array(steps);
    const per = b * n1;
    for (let s = 0; s < steps; s++) {
      native.zeroGrad();
      for (let a = 0; a < accum; a++) {
        const k = s * accum + a;
        const data = batches.data.subarray ? batches.data.subarray(k * per, (k + 1) * per)
          : Array.prototype.slice.call(batches.data, k * per, (k + 1) * per);
        writeBatch(native, config, { data, dims: [b, n1] }, m, fn);
        if (!native.accumulate(b, n1, m !== null)) throw new Error(`${fn}: ${native.error()}`);
        losses[k] = native.loss();
      }
      if (!native.optimizerStep(clip)) throw new Error(`${fn}: ${native.error()}`);
      gradNorms[s] = native.gradNorm();
    }
    const weights = new FlatTensors(layout, native.parameters().slice());
    if (!native.save(false)) throw new Error(`${fn}: ${native.error()}`);
    const file = native.saved().slice();
    return { losses, grad_norms: gradNorms, weights, config, file };
  } finally {
    close(Module, native);
  }
}
