// Two small line charts drawn on a <canvas> (no chart library): the loss
// curve of a training run (training and held-out loss, nats per byte, against
// the step) and the long run's cost per token against the context length
// (measured, and the seed's full recompute estimated beside it).

const INK = '#1d1f23';
const MUTED = '#6a6f78';
const GRID = '#ebe8e1';
const TRAIN = '#9bb8d3';
const TRAIN_SMOOTH = '#2b5d8a';
const VALID = '#c0392b';
const MEASURED = '#2f6f4f';
const REFERENCE = '#b0641c';

/** A canvas of `w` x `h` CSS pixels, sharp on high-DPI screens. */
function setup(canvas, w, h) {
  const dpr = Math.max(1, Math.min(3, globalThis.devicePixelRatio || 1));
  canvas.width = w * dpr;
  canvas.height = h * dpr;
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/** About `n` round tick values covering [lo, hi]. */
function ticks(lo, hi, n = 5) {
  const span = hi - lo || 1;
  const raw = span / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toFixed(10));
  return out;
}

function formatTick(v) {
  if (Math.abs(v) >= 1000) return `${+(v / 1000).toFixed(1)}k`;
  return String(+v.toFixed(3));
}

/** Axes, grid and labels; returns the plot rectangle and the two scales. */
function frame(ctx, { W, H, x, y, xLabel, yLabel, yLog = false, left = 48 }) {
  const L = left;
  const R = W - 12;
  const T = 12;
  const B = H - 34;
  const ly = (v) => (yLog ? Math.log10(v) : v);
  const y0 = ly(y[0]);
  const y1 = ly(y[1]);
  const sx = (v) => L + ((v - x[0]) / (x[1] - x[0] || 1)) * (R - L);
  const sy = (v) => B - ((ly(v) - y0) / (y1 - y0 || 1)) * (B - T);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, W, H);
  ctx.font = '10.5px system-ui, sans-serif';
  ctx.lineWidth = 1;
  ctx.textBaseline = 'middle';
  const yt = yLog
    ? [0.01, 0.1, 1, 10, 100, 1000, 10000, 100000].filter((v) => v >= y[0] * 0.999 && v <= y[1] * 1.001)
    : ticks(y[0], y[1], 5);
  for (const v of yt) {
    const py = Math.round(sy(v)) + 0.5;
    ctx.strokeStyle = GRID;
    ctx.beginPath(); ctx.moveTo(L, py); ctx.lineTo(R, py); ctx.stroke();
    ctx.fillStyle = MUTED;
    ctx.textAlign = 'right';
    ctx.fillText(formatTick(v), L - 5, py);
  }
  ctx.textBaseline = 'top';
  ctx.textAlign = 'center';
  for (const v of ticks(x[0], x[1], 6)) {
    const px = Math.round(sx(v)) + 0.5;
    ctx.strokeStyle = GRID;
    ctx.beginPath(); ctx.moveTo(px, T); ctx.lineTo(px, B); ctx.stroke();
    ctx.fillStyle = MUTED;
    ctx.fillText(formatTick(v), px, B + 4);
  }
  ctx.strokeStyle = '#cfcabe';
  ctx.strokeRect(L + 0.5, T + 0.5, R - L, B - T);
  ctx.fillStyle = MUTED;
  ctx.fillText(xLabel, (L + R) / 2, B + 18);
  ctx.save();
  ctx.translate(11, (T + B) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText(yLabel, 0, 0);
  ctx.restore();
  return { L, R, T, B, sx, sy };
}

function legend(ctx, x, y, items) {
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  let cx = x;
  for (const [colour, label, dashed] of items) {
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2;
    ctx.setLineDash(dashed ? [5, 3] : []);
    ctx.beginPath(); ctx.moveTo(cx, y); ctx.lineTo(cx + 18, y); ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = INK;
    ctx.fillText(label, cx + 23, y);
    cx += 36 + ctx.measureText(label).width;
  }
  ctx.lineWidth = 1;
}

function polyline(ctx, points, sx, sy, colour, width = 1.5, dashed = false) {
  if (points.length === 0) return;
  ctx.strokeStyle = colour;
  ctx.lineWidth = width;
  ctx.setLineDash(dashed ? [5, 3] : []);
  ctx.beginPath();
  points.forEach(([x, y], i) => (i ? ctx.lineTo(sx(x), sy(y)) : ctx.moveTo(sx(x), sy(y))));
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.lineWidth = 1;
}

/** Training loss (each step, and smoothed) and held-out loss against the step. */
export class LossChart {
  constructor(canvas, { width = 560, height = 250 } = {}) {
    this.canvas = canvas;
    this.W = width;
    this.H = height;
    this.ctx = setup(canvas, width, height);
    this.reset();
  }

  reset(totalSteps = 0) {
    this.train = [];      // [step, nats]
    this.valid = [];      // [step, nats]
    this.totalSteps = totalSteps;
    this.draws = 0;
    this.draw();
  }

  /** A TrainerWorker progress event ('step' or 'valid'). */
  push(e) {
    if (e.kind === 'step') this.train.push([e.step, e.loss]);
    else if (e.kind === 'valid') this.valid.push([e.step, e.loss]);
    else return;
    if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.draw(); });
  }

  draw() {
    const { ctx, W, H } = this;
    const all = [...this.train, ...this.valid];
    if (all.length === 0) {
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(0, 0, W, H);
      ctx.fillStyle = MUTED;
      ctx.font = '13px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText('The loss curve appears here while it trains.', W / 2, H / 2);
      return;
    }
    this.draws++;
    const first = Math.min(...all.map((p) => p[0]));
    const last = Math.max(this.totalSteps, ...all.map((p) => p[0]));
    const ys = all.map((p) => p[1]).filter(Number.isFinite);
    let lo = Math.min(...ys);
    let hi = Math.max(...ys);
    const pad = Math.max(0.05, (hi - lo) * 0.08);
    lo = Math.max(0, lo - pad);
    hi += pad;
    const { sx, sy } = frame(ctx, { W, H, x: [Math.max(0, first - 1), last], y: [lo, hi], xLabel: 'optimiser step', yLabel: 'loss (nats / byte)' });
    // Each step's loss (light), an exponential moving average (dark), the held-out points (red).
    polyline(ctx, this.train, sx, sy, TRAIN, 1);
    // A bias-corrected exponential moving average (as Adam's): no lag from a zero start.
    let ema = 0;
    const smooth = this.train.map(([s, v], i) => { ema = 0.7 * ema + 0.3 * v; return [s, ema / (1 - 0.7 ** (i + 1))]; });
    polyline(ctx, smooth, sx, sy, TRAIN_SMOOTH, 2);
    polyline(ctx, this.valid, sx, sy, VALID, 2);
    ctx.fillStyle = VALID;
    for (const [s, v] of this.valid) { ctx.beginPath(); ctx.arc(sx(s), sy(v), 3, 0, 2 * Math.PI); ctx.fill(); }
    legend(ctx, 60, 24, [[TRAIN_SMOOTH, 'training (smoothed)'], [TRAIN, 'training, each step'], [VALID, 'held-out']]);
  }
}

/**
 * ms per token against the context length: the engine's measured cost per
 * generated token (dots, and the median per bucket as a line) and the seed's
 * cost estimated beside it (the seed's generate() runs a full forward over
 * the whole context, up to max_seq_len, for every token: calibrated from one
 * measured full forward of n tokens, linear in the context length).
 */
export class SpeedChart {
  constructor(canvas, { width = 560, height = 250 } = {}) {
    this.canvas = canvas;
    this.W = width;
    this.H = height;
    this.ctx = setup(canvas, width, height);
    this.reset(null);
  }

  /** @param {{ max_seq_len: number }|null} config */
  reset(config) {
    this.config = config;
    this.points = [];          // [context, ms]
    this.reference = null;     // { n, ms }: one full forward of n tokens
    this.draws = 0;
    this.draw();
  }

  /** The calibration: a full forward of n tokens took ms. */
  setReference(n, ms) {
    this.reference = { n, ms };
    this.schedule();
  }

  /** The seed's estimated ms per token at context c (a full forward over min(c, max_seq_len) tokens). */
  referenceMs(c) {
    if (!this.reference) return null;
    const cap = this.config?.max_seq_len ?? Infinity;
    return (this.reference.ms / this.reference.n) * Math.min(Math.max(1, c), cap);
  }

  push(contextLength, ms) {
    this.points.push([contextLength, ms]);
    this.schedule();
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.draw(); });
  }

  /** Median ms per bucket of context lengths. */
  medians(buckets = 48) {
    const maxC = Math.max(...this.points.map((p) => p[0]));
    const width = Math.max(1, Math.ceil((maxC + 1) / buckets));
    const bins = new Map();
    for (const [c, ms] of this.points) {
      const b = Math.floor(c / width);
      if (!bins.has(b)) bins.set(b, []);
      bins.get(b).push(ms);
    }
    return [...bins.entries()].sort((a, b) => a[0] - b[0]).map(([b, v]) => {
      v.sort((x, y) => x - y);
      return [b * width + width / 2, v[Math.floor(v.length / 2)]];
    });
  }

  draw() {
    const { ctx, W, H } = this;
    if (this.points.length === 0) {
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(0, 0, W, H);
      ctx.fillStyle = MUTED;
      ctx.font = '13px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText('Press "Long run": ms per token against the context length appears here.', W / 2, H / 2);
      return;
    }
    this.draws++;
    const maxC = Math.max(...this.points.map((p) => p[0]), 16);
    const ms = this.points.map((p) => p[1]).filter((v) => v > 0);
    const refHi = this.referenceMs(maxC) ?? 0;
    const lo = 10 ** Math.floor(Math.log10(Math.max(0.01, Math.min(...ms))));
    const hi = 10 ** Math.ceil(Math.log10(Math.max(...ms, refHi, lo * 10)));
    const { sx, sy, L, R, T, B } = frame(ctx, { W, H, x: [0, maxC], y: [lo, hi], yLog: true,
      xLabel: 'context length (tokens)', yLabel: 'ms per token (log)' });
    ctx.save();
    ctx.beginPath();
    ctx.rect(L, T, R - L, B - T);
    ctx.clip();
    ctx.fillStyle = 'rgba(47, 111, 79, 0.28)';
    for (const [c, v] of this.points) if (v > 0) ctx.fillRect(sx(c) - 1, sy(v) - 1, 2, 2);
    polyline(ctx, this.medians(), sx, sy, MEASURED, 2);
    if (this.reference) {
      const steps = 64;
      const line = Array.from({ length: steps + 1 }, (_, i) => {
        const c = Math.max(1, (maxC * i) / steps);
        return [c, this.referenceMs(c)];
      });
      polyline(ctx, line, sx, sy, REFERENCE, 2, true);
    }
    ctx.restore();
    const items = [[MEASURED, 'this engine, measured (median)']];
    if (this.reference) items.push([REFERENCE, 'reference recompute (estimated)', true]);
    legend(ctx, 60, 24, items);
  }
}
