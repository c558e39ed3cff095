// The web demo's UI: loads a model into a Worker (LongShortTransformerWorker),
// streams generated text, shows speed, build and the attention of each new
// token. Plain ES modules; the page's import map resolves the package's
// "#platform" import.
import { LongShortTransformerWorker, bundledModelUrl } from '../js/index.js';
import { AttentionView } from './attention-view.js';
import { SpeedChart } from './charts.js';
import { setupTrainPanel } from './train-panel.js';

const $ = (id) => document.getElementById(id);
const BUNDLED_URL = bundledModelUrl.href;
const BUNDLED_NAME = 'tinyshakespeare.safetensors';
const params = new URLSearchParams(location.search);
const encoder = new TextEncoder();

const el = {
  status: $('model-status'), progress: $('load-progress'), error: $('error'), drop: $('drop-zone'), file: $('file-input'),
  loadBundled: $('load-bundled'), modelInfo: $('model-info'), runtimeInfo: $('runtime-info'),
  weightsFormat: $('weights-format'),
  prompt: $('prompt'), temperature: $('temperature'), temperatureRange: $('temperature-range'), sampling: $('sampling'),
  filterThres: $('filter-thres'), topK: $('top-k'), filterLabel: $('filter-label'), topKLabel: $('top-k-label'),
  length: $('length'), seed: $('seed'), contextMode: $('context-mode'), contextNote: $('context-note'),
  generate: $('generate'), stop: $('stop'), finish: $('finish'), longRun: $('long-run'),
  speedCanvas: $('speed-canvas'), longSummary: $('long-summary'),
  output: $('output'), outputPrompt: $('output-prompt'), outputGenerated: $('output-generated'), cursor: $('cursor'),
  tps: $('stat-tps'), ms: $('stat-ms'), context: $('stat-context'), tokens: $('stat-tokens'), first: $('stat-first'),
  build: $('stat-build'), footerBuild: $('footer-build'),
  layer: $('attn-layer'), head: $('attn-head'), attnEnabled: $('attn-enabled'), canvas: $('attention-canvas'), attnSummary: $('attention-summary'),
};

const attentionView = new AttentionView(el.canvas, el.attnSummary);
const speedChart = new SpeedChart(el.speedCanvas);
/** Tokens of the long run's preset, and the context the reference package's cost is calibrated on (at most). */
const LONG_RUN_TOKENS = 4000;
const CALIBRATION_TOKENS = 1024;

/** What the page is doing; read by the browser tests through window.demo. */
const state = {
  model: null,
  modelName: '',
  loading: false,
  generating: null,          // the AbortController of the running generation
  generations: 0,
  tokens: [],                // prompt + generated ids of the latest generation
  lastResult: null,
  lastStats: null,
  loadAttempts: 0,           // finished load attempts (good or bad)
  lastContextMode: null,     // the mode the latest run used past max_seq_len
  textPrompt: null,          // the text prompt put aside while a token-id model is loaded
  idPrompt: null,            // the token-id prompt the page wrote for such a model
};
// modelReady, firstChar: ms since navigation start (first model, first character
// of the page); firstToken: ms from Generate to the first token of the latest run.
const timings = { modelReady: null, firstChar: null, firstToken: null };
/** The "Teach it your text" panel (train-panel.js), set up at the end. */
let trainPanel = null;
window.demo = { state, timings, attentionView, speedChart };

// ---------------------------------------------------------------- helpers

function showError(message) {
  el.error.hidden = !message;
  el.error.textContent = message ?? '';
}

function setStatus(text) {
  el.status.textContent = text;
}

function setButtons() {
  const busy = state.loading || state.generating !== null;
  el.generate.disabled = !state.model || busy;
  el.longRun.disabled = !state.model || busy;
  el.stop.disabled = state.generating === null;
  trainPanel?.setButtons();
  el.loadBundled.disabled = state.loading;
  el.file.disabled = state.loading;
}

function formatCount(n) {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

function formatBytes(n) {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} kB`;
  return `${n} B`;
}

function fillList(dl, rows) {
  dl.replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    return [dt, dd];
  }));
}

function fillSelect(select, n, selected) {
  select.replaceChildren(...Array.from({ length: n }, (_, i) => new Option(String(i), String(i), false, i === selected)));
}

// Every build is WebAssembly SIMD128 (the loader refuses engines without it);
// the relaxed-SIMD builds add fused multiply-adds and the relaxed int8 dot
// product where the browser runs them (docs/RELAXED_SIMD.md).
const SIMD_LABEL = { relaxed: 'relaxed SIMD', simd128: 'SIMD128' };
function buildLabel(runtime) {
  const variant = runtime.variant === 'threaded' ? `threaded ×${runtime.threads}` : 'single-threaded';
  return `${variant}, ${SIMD_LABEL[runtime.simd] ?? runtime.simd}`;
}

// ---------------------------------------------------------------- loading

/**
 * Loads weights into a new Worker; the current model keeps working until the
 * new one is ready, and stays when the file is bad.
 * @param {string|Uint8Array} source a URL or the file's bytes
 * @param {string} name shown to the user
 * @param {number} [size] bytes, when known
 */
async function loadModel(source, name, size) {
  if (state.loading) return false;
  if (state.generating) await stopGeneration();
  state.loading = true;
  setButtons();
  showError(null);
  setStatus(`Loading ${name}…`);
  el.progress.hidden = false;
  el.progress.removeAttribute('value');   // indeterminate until sizes are known
  const t0 = performance.now();
  let fileSize = size ?? 0;
  try {
    let fromCache = false;
    const model = await LongShortTransformerWorker.load(source, {
      weights: el.weightsFormat.value,  // converted on load (docs/QUANTIZATION.md)
      // ?simd=simd128 or ?simd=relaxed forces a build; default: the best this browser runs.
      ...(params.has('simd') ? { simd: params.get('simd') } : {}),
      progress_callback: (p) => {
        if (p.cached) fromCache = true;
        if (p.total) {
          fileSize = p.total;
          el.progress.max = p.total;
          el.progress.value = p.loaded ?? 0;
          setStatus(`Loading ${name}${p.cached ? ' from the browser cache' : ''}… ${formatBytes(p.loaded ?? 0)} of ${formatBytes(p.total)}`);
        } else if (p.loaded) {
          setStatus(`Loading ${name}… ${formatBytes(p.loaded)}`);
        }
      },
    });
    const old = state.model;
    state.model = model;
    state.modelName = name;
    old?.dispose();
    describeModel(model, name, fileSize, performance.now() - t0, fromCache);
    timings.modelReady ??= performance.now();
    setStatus(`Ready: ${name}${fromCache ? ' (from the browser cache)' : ''}`);
    updateContextNote();
    state.calibration = null;
    return true;
  } catch (e) {
    const message = e?.message ?? String(e);
    showError(`Could not load ${name}: ${message}`);
    setStatus(state.model ? `Still using ${state.modelName}` : 'No model loaded: drop a .safetensors file below');
    return false;
  } finally {
    state.loading = false;
    state.loadAttempts++;
    el.progress.hidden = true;
    setButtons();
  }
}

// The format the matrices are kept and computed in (docs/QUANTIZATION.md).
function weightsLabel(format) {
  return { int8: 'int8 (one scale per 32 weights)', f16: 'f16', f32: 'f32' }[format] ?? String(format ?? 'f32');
}

function describeModel(model, name, fileSize, loadMs, fromCache) {
  const c = model.config;
  fillList(el.modelInfo, [
    ['file', name],
    ['size', `${formatCount(model.numParameters)} parameters${fileSize ? `, ${formatBytes(fileSize)}` : ''}`],
    ['vocabulary', c.num_tokens === 256 ? '256 (bytes: text in, text out)' : `${c.num_tokens} (token ids)`],
    ['layers × width', `${c.depth} × ${c.dim}`],
    ['heads × dim_head', `${c.heads} × ${c.dim_head}`],
    ['window_size w', String(c.window_size)],
    ['segment_size s, r', c.causal ? `${c.segment_size}, ${c.r}` : `— (non-causal), r = ${c.r}`],
    ['max_seq_len', String(c.max_seq_len)],
    ['ff_mult', String(c.ff_mult)],
    ['weights', weightsLabel(model.runtime.weights)],
  ]);
  const rt = model.runtime;
  fillList(el.runtimeInfo, [
    ['build', rt.variant === 'threaded' ? 'threaded (pthreads)' : 'single-threaded'],
    ['threads', String(rt.threads)],
    ['SIMD', rt.simd === 'relaxed'
      ? 'WebAssembly relaxed SIMD (fused multiply-add, relaxed int8 dot)' : 'WebAssembly SIMD128'],
    ['GEMM backend', rt.backend],
    ['cross-origin isolated', globalThis.crossOriginIsolated ? 'yes' : 'no (single-threaded build only)'],
    ['load time', `${Math.round(loadMs)} ms${fromCache ? ' (file from the browser cache)' : ''}`],
  ]);
  el.build.textContent = buildLabel(rt);
  el.build.dataset.variant = rt.variant;
  el.build.dataset.simd = rt.simd;
  el.footerBuild.textContent = `Running the ${buildLabel(rt)} build (${rt.backend} GEMM)`;
  fillSelect(el.layer, c.depth, c.depth - 1);
  fillSelect(el.head, c.heads, 0);
  attentionView.reset(c);
  // A token-id model gets a token-id prompt; the text prompt comes back with a byte-level model.
  if (c.num_tokens !== 256) {
    if (/[^\d\s,]/.test(el.prompt.value)) {
      state.textPrompt = el.prompt.value;
      el.prompt.value = state.idPrompt = '0';
    }
    el.prompt.title = 'This model is not byte-level: type token ids, separated by spaces';
  } else {
    if (state.textPrompt !== null && el.prompt.value === state.idPrompt) el.prompt.value = state.textPrompt;
    state.textPrompt = state.idPrompt = null;
    el.prompt.title = '';
  }
}

async function loadFile(file) {
  if (!file) return;
  if (file.size === 0) {
    showError(`Could not load ${file.name}: the file is empty`);
    state.loadAttempts++;
    return;
  }
  let bytes;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (e) {
    showError(`Could not read ${file.name}: ${e.message}`);
    state.loadAttempts++;
    return;
  }
  await loadModel(bytes, file.name, file.size);
}

// ---------------------------------------------------------------- generation

let pendingText = '';
let renderFrame = 0;
let outputText = null;     // the Text node the generated text is appended to
const live = { count: 0, msSum: 0, tFirst: 0, context: 0 };

function scheduleRender() {
  if (!renderFrame) renderFrame = requestAnimationFrame(render);
}

function render() {
  renderFrame = 0;
  if (pendingText) {
    const atBottom = el.output.scrollTop + el.output.clientHeight >= el.output.scrollHeight - 24;
    outputText.appendData(pendingText);
    pendingText = '';
    if (atBottom) el.output.scrollTop = el.output.scrollHeight;
  }
  if (live.count > 0) {
    const seconds = (performance.now() - live.tFirst) / 1000;
    if (live.count > 1 && seconds > 0) el.tps.textContent = ((live.count - 1) / seconds).toFixed(1);
    el.ms.textContent = (live.msSum / live.count).toFixed(2);
    el.tokens.textContent = String(live.count);
    el.context.textContent = String(live.context);
  }
}

/** Tokens of the prompt as typed (0 when it does not parse yet). */
function promptLength(config) {
  try {
    return readPrompt(config).ids.length;
  } catch {
    return 0;
  }
}

/**
 * The mode a run uses past max_seq_len: 'auto' is the reference package's exact mode while
 * the run stays within max_seq_len and the fast re-encode mode when it would
 * pass it (the exact mode then re-encodes the whole window per token).
 */
function contextMode(config) {
  const chosen = el.contextMode.value;
  if (chosen !== 'auto') return chosen;
  const length = Number(el.length.value) || 0;
  return promptLength(config) + length > config.max_seq_len ? 'reencode' : 'exact';
}

/** Says before the run what passing max_seq_len will cost, and which mode runs. */
function updateContextNote() {
  const model = state.model;
  if (!model) { el.contextNote.hidden = true; return; }
  const c = model.config;
  const n = promptLength(c);
  const length = Number(el.length.value) || 0;
  if (n + length <= c.max_seq_len) { el.contextNote.hidden = true; return; }
  const after = Math.max(0, c.max_seq_len - n);
  const mode = contextMode(c);
  el.contextNote.hidden = false;
  el.contextNote.textContent = mode === 'exact'
    ? `This run passes max_seq_len (${c.max_seq_len}) after ${after} new tokens. From there the exact mode (the reference package's) ` +
      `re-encodes the last ${c.max_seq_len} tokens for every token: about 100x slower per token. ` +
      '"re-encode (fast)" keeps it fast.'
    : `This run passes max_seq_len (${c.max_seq_len}) after ${after} new tokens: it runs in the fast re-encode mode ` +
      `(re-encodes every ${Math.floor(c.max_seq_len / 2)} tokens; not the reference package's exact function). Choose "exact" for the reference package's.`;
}

function readOptions(config) {
  const num = (input, name, lo, hi, integer) => {
    const v = Number(input.value);
    if (input.value.trim() === '' || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
      throw new Error(`${name} must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}]`);
    }
    return v;
  };
  const o = {
    max_new_tokens: num(el.length, 'Length', 1, 100000, true),
    temperature: num(el.temperature, 'Temperature', 0, 5, false),
    seed: num(el.seed, 'Seed', 0, Number.MAX_SAFE_INTEGER, true),
    context_mode: contextMode(config),
  };
  if (el.sampling.value === 'filter_thres') o.filter_thres = num(el.filterThres, 'Filter threshold', 0, 1, false);
  else if (el.sampling.value === 'top_k') o.top_k = num(el.topK, 'Top-k', 1, config.num_tokens, true);
  else o.do_sample = false;
  if (el.attnEnabled.checked) o.attention = { layer: Number(el.layer.value || 0), head: Number(el.head.value || 0) };
  return o;
}

function readPrompt(config) {
  const text = el.prompt.value;
  if (config.num_tokens === 256) {
    if (text.length === 0) throw new Error('Type a prompt first (at least one character)');
    return { prompt: text, ids: Array.from(encoder.encode(text)), shown: text };
  }
  const ids = text.split(/[\s,]+/).filter(Boolean).map(Number);
  if (ids.length === 0 || ids.some((t) => !Number.isInteger(t) || t < 0 || t >= config.num_tokens)) {
    throw new Error(`This model is not byte-level: type token ids in [0, ${config.num_tokens}), separated by spaces`);
  }
  return { prompt: ids, ids, shown: `${ids.join(' ')} ` };
}

async function generate() {
  const model = state.model;
  if (!model || state.generating || state.loading) return;
  showError(null);
  let prompt, options;
  try {
    ({ prompt } = readPrompt(model.config));
    options = readOptions(model.config);
  } catch (e) {
    showError(e.message);
    return;
  }
  const byteLevel = model.config.num_tokens === 256;
  const { ids, shown } = readPrompt(model.config);
  const controller = new AbortController();
  state.lastContextMode = options.context_mode;
  state.generating = controller;
  state.generations++;
  state.tokens = ids.slice();
  state.lastResult = null;
  setButtons();
  el.finish.textContent = 'generating…';
  el.outputPrompt.textContent = shown;
  outputText = document.createTextNode('');
  el.outputGenerated.replaceChildren(outputText);
  el.cursor.hidden = false;
  pendingText = '';
  Object.assign(live, { count: 0, msSum: 0, tFirst: 0, context: 0 });
  for (const e of [el.tps, el.ms, el.context, el.tokens, el.first]) e.textContent = '–';
  speedChart.reset(model.config);
  if (state.calibration?.model === model) speedChart.setReference(state.calibration.n, state.calibration.ms);
  el.longSummary.textContent = '';
  const tStart = performance.now();
  timings.firstToken = null;
  attentionView.reset(model.config);

  const onStep = (step) => {
    // Every step the engine made is shown and counted, also one that crossed a
    // Stop on its way here, so that the counter and the final status agree.
    const now = performance.now();
    if (live.count === 0) {
      live.tFirst = now;
      timings.firstToken = now - tStart;
      el.first.textContent = `${Math.round(timings.firstToken)} ms`;
    }
    if (step.warning) el.finish.textContent = 'past max_seq_len: the exact mode now re-encodes every token (slow)';
    live.count++;
    live.msSum += step.ms;
    live.context = step.context_length;
    speedChart.push(step.context_length, step.ms);
    state.tokens.push(step.token);
    const text = byteLevel ? step.text : `${step.token} `;
    if (text) {
      pendingText += text;
      timings.firstChar ??= now;
    }
    if (step.attention) {
      // The query is the token before the new one; positions count within its context.
      const queryIndex = state.tokens.length - 2;
      const { query_pos: q } = step.attention;
      const tokens = state.tokens;
      const charAt = byteLevel
        ? (pos) => {
          const t = tokens[queryIndex - (q - pos)];
          return t === undefined ? undefined : String.fromCharCode(t);
        }
        : undefined;
      attentionView.push(step.attention, charAt);
    }
    scheduleRender();
  };

  try {
    const result = await model.generate(prompt, { ...options, signal: controller.signal, callback: onStep });
    state.lastResult = result;
    render();
    if (byteLevel && typeof result.text === 'string' && result.text !== outputText.data) {
      outputText.data = result.text;     // the decoder's final text (a character cut at the end)
    }
    if (result.stats) el.tps.textContent = result.stats.tokens_per_second.toFixed(1);
    el.tokens.textContent = String(result.tokens.length);
    state.lastStats = {
      tokens: result.tokens.length,
      tokens_per_second: result.stats?.tokens_per_second,   // wall clock, as the page sees it
      compute_ms_per_token: live.count ? live.msSum / live.count : null,   // the engine's step + sample
    };
    summariseSpeed(model.config);
    el.finish.textContent = {
      length: `done: ${result.tokens.length} tokens`, eos: 'stopped at the end-of-sequence token',
      stop: 'stopped at a stop sequence', abort: `stopped after ${result.tokens.length} tokens`,
    }[result.finish_reason] ?? `done (${result.finish_reason})`;
  } catch (e) {
    render();
    if (controller.signal.aborted || e?.name === 'AbortError') {
      el.tokens.textContent = String(live.count);
      el.finish.textContent = `stopped after ${live.count} tokens`;
    } else {
      el.finish.textContent = '';
      showError(`Generation failed: ${e?.message ?? e}`);
    }
  } finally {
    el.cursor.hidden = true;
    state.generating = null;
    setButtons();
  }
}

/**
 * Times one full forward pass of n = min(max_seq_len, CALIBRATION_TOKENS)
 * tokens in this engine (the best of three: the first run also grows the
 * wasm heap): the reference package recomputes that for
 * every token, so its cost per token at context c is about ms / n * c.
 */
async function calibrate(model) {
  if (state.calibration?.model === model) return state.calibration;
  const n = Math.min(model.config.max_seq_len, CALIBRATION_TOKENS);
  const ids = Array.from({ length: n }, (_, i) => (i * 7 + 65) % model.config.num_tokens);
  let best = Infinity;
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    await model.forward([ids]);
    best = Math.min(best, performance.now() - t0);
  }
  state.calibration = { model, n, ms: best };
  return state.calibration;
}

/** The long-run preset: thousands of tokens, the reference package's recompute cost calibrated first. */
async function longRun() {
  const model = state.model;
  if (!model || state.generating || state.loading) return;
  el.length.value = String(LONG_RUN_TOKENS);
  el.contextMode.value = 'auto';
  updateContextNote();
  el.longRun.disabled = true;
  el.generate.disabled = true;
  el.finish.textContent = 'timing one full forward pass (the reference estimate)…';
  try {
    await calibrate(model);
  } catch (e) {
    showError(`Could not time a forward pass: ${e?.message ?? e}`);
  }
  setButtons();
  await generate();
}

/** One line under the speed chart: measured cost per token vs the reference package's estimated one. */
function summariseSpeed(config) {
  const pts = speedChart.points;
  if (pts.length < 10) return;
  const median = (a) => { const v = a.slice().sort((x, y) => x - y); return v[Math.floor(v.length / 2)]; };
  const maxC = Math.max(...pts.map((p) => p[0]));
  const early = median(pts.filter((p) => p[0] <= maxC / 4).map((p) => p[1]));
  const late = median(pts.filter((p) => p[0] >= (3 * maxC) / 4).map((p) => p[1]));
  const ref = speedChart.referenceMs(maxC);
  el.longSummary.textContent = `Measured: median ${early.toFixed(2)} ms/token at context ≤ ${Math.round(maxC / 4)}, ` +
    `${late.toFixed(2)} ms/token at context ≥ ${Math.round((3 * maxC) / 4)} (max ${maxC} of max_seq_len ${config.max_seq_len}).` +
    (ref ? ` Reference recompute (estimated from a ${speedChart.reference.n}-token forward of ${speedChart.reference.ms.toFixed(0)} ms): ` +
      `${ref.toFixed(0)} ms/token at context ${maxC}, ${(ref / late).toFixed(0)}x the measured cost.` : '');
}

/** Stops the running generation; resolves when it has ended. */
async function stopGeneration() {
  const controller = state.generating;
  if (!controller) return;
  controller.abort();
  el.stop.disabled = true;
  while (state.generating === controller) await new Promise((r) => setTimeout(r, 10));
}

// ---------------------------------------------------------------- wiring

el.generate.addEventListener('click', () => { generate(); });
el.stop.addEventListener('click', () => { stopGeneration(); });
el.longRun.addEventListener('click', () => { longRun(); });
el.prompt.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); generate(); }
});
el.temperatureRange.addEventListener('input', () => { el.temperature.value = el.temperatureRange.value; });
for (const input of [el.prompt, el.length, el.contextMode]) input.addEventListener('input', updateContextNote);
el.contextMode.addEventListener('change', updateContextNote);
el.temperature.addEventListener('input', () => { el.temperatureRange.value = el.temperature.value; });
el.sampling.addEventListener('change', () => {
  el.filterLabel.hidden = el.sampling.value !== 'filter_thres';
  el.topKLabel.hidden = el.sampling.value !== 'top_k';
});
el.file.addEventListener('change', () => {
  const file = el.file.files?.[0];
  el.file.value = '';
  loadFile(file);
});
el.loadBundled.addEventListener('click', () => { loadModel(BUNDLED_URL, BUNDLED_NAME); });

// Drop anywhere on the page (and never let the browser navigate to the file).
let dragDepth = 0;
document.addEventListener('dragenter', (e) => { e.preventDefault(); dragDepth++; el.drop.classList.add('over'); });
document.addEventListener('dragleave', () => { if (--dragDepth <= 0) { dragDepth = 0; el.drop.classList.remove('over'); } });
document.addEventListener('dragover', (e) => { e.preventDefault(); });
document.addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0;
  el.drop.classList.remove('over');
  const file = e.dataTransfer?.files?.[0];
  if (e.target instanceof Element && e.target.closest('#train-panel')) { trainPanel.takeFile(file); return; }
  if (state.loading) return;
  loadFile(file);
});

trainPanel = setupTrainPanel({
  getModel: () => state.model,
  modelName: () => state.modelName,
  loadWeights: (bytes, name) => loadModel(bytes, name, bytes.length),
  generate: () => generate(),
  canGenerate: () => Boolean(state.model) && !state.loading && state.generating === null,
});
window.demo.train = trainPanel.state;
window.demo.lossChart = trainPanel.chart;

// ?prompt=...&length=...&seed=...&autostart=1
if (params.has('prompt')) el.prompt.value = params.get('prompt');
if (params.has('length')) el.length.value = params.get('length');
if (params.has('seed')) el.seed.value = params.get('seed');
if (params.get('attention') === '0') el.attnEnabled.checked = false;
// ?model=<same-origin URL> loads another served file first (never another origin).
let startUrl = BUNDLED_URL;
let startName = BUNDLED_NAME;
if (params.has('model')) {
  const url = new URL(params.get('model'), location.href);
  if (url.origin === location.origin) {
    startUrl = url.href;
    startName = decodeURIComponent(url.pathname.split('/').pop() || url.pathname);
  }
}
window.demo.ready = loadModel(startUrl, startName).then(() => {
  if (params.get('autostart') === '1' && state.model) generate();
});
