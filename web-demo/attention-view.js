// The attention panel: the latest tokens' attention weights, as returned by
// the engine with every generated step (step.attention), drawn the way the
// paper's Figure 1 splits them: the segment-level global tokens of the dynamic
// projection (long-term) and the local window band (short-term).
//
// step.attention = { probs: Float32Array [global | local], num_global,
//   local_first_pos, query_pos, window_size, segment_size, r, layer, head }
// probs[0 .. num_global): r global tokens per completed segment g, which
// covers positions [g*s, (g+1)*s); probs[num_global ..): 2*window_size local
// slots starting at position local_first_pos (negative positions: padding).

const W = 960;           // logical canvas size (CSS pixels)
const H = 330;
const ROWS = 40;         // tokens kept in the history grid
const ROW_H = 5;
const GRID_TOP = 34;
const STRIP_GAP = 8;
const STRIP_H = 26;
const LEFT = 12;
const GLOBAL_MAX_W = 250;   // the global block's width at most: beyond 250 tokens a column shows several (their max)
const BLOCK_GAP = 36;
const RIGHT_PAD = 12;

// A white -> yellow -> orange -> magenta -> deep purple ramp (magma-like).
const STOPS = [[0, [255, 255, 255]], [0.12, [253, 236, 170]], [0.35, [249, 160, 68]], [0.62, [214, 70, 110]],
  [0.85, [115, 30, 120]], [1, [40, 10, 70]]];
const RAMP = Array.from({ length: 256 }, (_, i) => {
  const t = i / 255;
  let k = 1;
  while (k < STOPS.length - 1 && STOPS[k][0] < t) k++;
  const [t0, c0] = STOPS[k - 1];
  const [t1, c1] = STOPS[k];
  const u = (t - t0) / (t1 - t0);
  return c0.map((v, j) => Math.round(v + (c1[j] - v) * u));
});
const LUT = RAMP.map((c) => `rgb(${c[0]},${c[1]},${c[2]})`);
/** The same colours as RGBA pixels (little-endian Uint32). */
const LUT32 = Uint32Array.from(RAMP, (c) => pixel(c));
const BAND = '#e3f1e7';      // slots inside the local window (the paper's green band)
const MASKED = '#f1f0ec';    // window slots after the query (causal mask)
const PAD = '#e9e6df';       // window slots before position 0
const PENDING = '#f7f6f3';   // global columns of segments not yet complete
const GLOBAL = '#e4ecf6';    // a global token with ~0 weight
const INK = '#1d1f23';
const MUTED = '#6a6f78';
const WHITE32 = 0xffffffff;
const [BAND32, MASKED32, PAD32, PENDING32, GLOBAL32] = [BAND, MASKED, PAD, PENDING, GLOBAL]
  .map((hex) => pixel([1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16))));

/** A round step (1, 2 or 5 x 10^k) of about `raw`. */
function niceStep(raw) {
  const mag = 10 ** Math.floor(Math.log10(Math.max(1, raw)));
  return [1, 2, 5, 10].map((k) => k * mag).find((v) => v >= raw) ?? 10 * mag;
}

function pixel([r, g, b]) {
  return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

/**
 * Colour of weight `v` in a row whose largest weight is `max` (square root:
 * small weights stay visible); near-zero weights show the slot's tint.
 */
function colour(v, max, tint) {
  const i = max > 0 && v > 0 ? Math.min(255, Math.round(Math.sqrt(v / max) * 255)) : 0;
  return i < 10 ? tint : LUT32[i];
}

/** A small canvas holding one pixel per (row, column), drawn scaled up. */
class PixelGrid {
  constructor() {
    this.canvas = document.createElement('canvas');
    this.cols = 0;
  }
  begin(cols, rows) {
    if (cols !== this.cols || rows !== this.rows) {
      this.cols = cols;
      this.rows = rows;
      this.canvas.width = cols;
      this.canvas.height = rows;
      this.buf = new Uint32Array(cols * rows);
      this.image = new ImageData(new Uint8ClampedArray(this.buf.buffer), cols, rows);
    }
    this.buf.fill(WHITE32);
    return this.buf;
  }
  end() {
    this.canvas.getContext('2d').putImageData(this.image, 0, 0);
  }
}

export class AttentionView {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {HTMLElement} [summary] element for a one-line text summary
   */
  constructor(canvas, summary) {
    this.canvas = canvas;
    this.summaryEl = summary ?? null;
    const dpr = Math.max(1, Math.min(3, globalThis.devicePixelRatio || 1));
    canvas.width = W * dpr;
    canvas.height = H * dpr;
    this.ctx = canvas.getContext('2d');
    this.ctx.scale(dpr, dpr);
    this.rows = [];
    this.frame = 0;
    this.config = null;
    this.draws = 0;
    this.globalGrid = new PixelGrid();
    this.localGrid = new PixelGrid();
    this.clear();
  }

  /** Starts over for a model (its config sets the number of global columns). */
  reset(config) {
    this.config = config;
    this.rows = [];
    this.clear();
  }

  /**
   * Adds the latest token's attention; drawn at the next animation frame.
   * @param {object} attention step.attention
   * @param {(pos: number) => string} [charAt] the character at a context position
   */
  push(attention, charAt) {
    this.rows.push({ ...attention, charAt });
    if (this.rows.length > ROWS) this.rows.splice(0, this.rows.length - ROWS);
    if (!this.frame) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.draw();
      });
    }
  }

  /** Draws now (also called by push, once per frame). */
  draw() {
    const { ctx } = this;
    const last = this.rows.at(-1);
    if (!last) { this.clear(); return; }
    this.draws++;
    const w = last.window_size;
    const s = last.segment_size ?? 0;
    const r = last.r ?? 1;
    const maxSeq = this.config?.max_seq_len ?? 0;
    // Global columns: every segment the context can hold, or as many as seen.
    const seen = Math.max(...this.rows.map((a) => a.num_global));
    const G = Math.max(1, seen, s > 0 && maxSeq > 0 ? Math.floor(maxSeq / s) * r : 0);
    // A long context (max_seq_len 4096: 256 segments and more) would not fit:
    // then one column holds `bin` consecutive global tokens and shows the
    // largest weight among them, so that a strong far-away token stays visible.
    const bin = Math.ceil(G / GLOBAL_MAX_W);
    const cols = Math.ceil(G / bin);
    const gw = Math.max(1, Math.min(14, GLOBAL_MAX_W / cols));
    const gx = LEFT;
    // The global block is at least as wide as its labels, so that a small
    // model's few global columns never put the two titles on each other.
    ctx.font = 'bold 12px system-ui, sans-serif';
    let labelW = ctx.measureText('Long-term: global tokens').width;
    ctx.font = '10.5px system-ui, sans-serif';
    const sub = `${seen} so far: r = ${r} per segment of s = ${s}${bin > 1 ? `; a column = ${bin} tokens (their max)` : ''}`;
    labelW = Math.max(labelW, ctx.measureText(sub).width);
    ctx.font = '11px system-ui, sans-serif';
    labelW = Math.max(labelW, ctx.measureText(`segments 0 … ${Math.max(0, Math.ceil(seen / r) - 1)}`).width,
      ctx.measureText('no completed segment yet').width);
    const gWidth = cols * gw;
    const lx = gx + Math.max(gWidth, Math.ceil(labelW) + 6) + BLOCK_GAP;
    // Local block: absolute positions ending at the latest query.
    const span = 2 * w + ROWS;
    const lw = (W - RIGHT_PAD - lx) / span;
    const firstPos = last.query_pos - span + 1;
    const colX = (c) => Math.round(lx + c * lw);

    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, W, H);
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'alphabetic';
    ctx.fillStyle = INK;
    ctx.font = 'bold 12px system-ui, sans-serif';
    ctx.fillText('Long-term: global tokens', gx, 14);
    ctx.fillText(`Short-term: local window band (2w = ${2 * w} slots)`, lx, 14);
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillStyle = MUTED;
    ctx.textAlign = 'right';
    ctx.fillText(`layer ${last.layer}, head ${last.head}`, W - RIGHT_PAD, 14);
    ctx.textAlign = 'left';
    ctx.font = '10.5px system-ui, sans-serif';
    ctx.fillText(sub, gx, 28);
    ctx.fillText(`key positions ${Math.max(0, firstPos)} … ${last.query_pos} →`, lx, 28);

    // One pixel per (token, column), scaled up: the history grid (the
    // paper's Q x K picture), newest at the bottom.
    const gBuf = this.globalGrid.begin(cols, ROWS);
    const lBuf = this.localGrid.begin(span, ROWS);
    const offset = ROWS - this.rows.length;
    this.rows.forEach((a, i) => {
      const row = offset + i;
      const ng = a.num_global;
      const p = a.probs;
      let max = 0;
      for (let k = 0; k < p.length; k++) if (p[k] > max) max = p[k];
      for (let c = 0; c < cols; c++) {
        const g0 = c * bin;
        if (g0 >= ng) { gBuf[row * cols + c] = PENDING32; continue; }
        let v = 0;
        for (let g = g0; g < Math.min(ng, g0 + bin); g++) if (p[g] > v) v = p[g];
        gBuf[row * cols + c] = colour(v, max, GLOBAL32);
      }
      for (let j = 0; j < 2 * w; j++) {
        const pos = a.local_first_pos + j;
        const c = pos - firstPos;
        if (c < 0 || c >= span) continue;
        lBuf[row * span + c] = pos < 0 ? PAD32 : pos > a.query_pos ? MASKED32 : colour(p[ng + j], max, BAND32);
      }
    });
    this.globalGrid.end();
    this.localGrid.end();
    const lWidth = W - RIGHT_PAD - lx;
    const sy = GRID_TOP + ROWS * ROW_H + STRIP_GAP;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.globalGrid.canvas, gx, GRID_TOP, gWidth, ROWS * ROW_H);
    ctx.drawImage(this.localGrid.canvas, lx, GRID_TOP, lWidth, ROWS * ROW_H);
    // The latest token at full height.
    ctx.drawImage(this.globalGrid.canvas, 0, ROWS - 1, cols, 1, gx, sy, gWidth, STRIP_H);
    ctx.drawImage(this.localGrid.canvas, 0, ROWS - 1, span, 1, lx, sy, lWidth, STRIP_H);
    if (gw > 4) {   // separate the global tokens
      ctx.fillStyle = '#ffffff';
      for (let g = 1; g < cols; g++) {
        ctx.fillRect(gx + g * gw - 0.5, GRID_TOP, 1, ROWS * ROW_H);
        ctx.fillRect(gx + g * gw - 0.5, sy, 1, STRIP_H);
      }
    }
    ctx.strokeStyle = '#d6d2c8';
    ctx.lineWidth = 1;
    ctx.strokeRect(gx - 0.5, GRID_TOP - 0.5, gWidth + 1, ROWS * ROW_H + 1);
    ctx.strokeRect(lx - 0.5, GRID_TOP - 0.5, lWidth + 1, ROWS * ROW_H + 1);

    ctx.strokeStyle = INK;
    ctx.strokeRect(gx - 0.5, sy - 0.5, gWidth + 1, STRIP_H + 1);
    ctx.strokeRect(lx - 0.5, sy - 0.5, W - RIGHT_PAD - lx + 1, STRIP_H + 1);
    // Query marker and window edges.
    const qx = (colX(last.query_pos - firstPos) + colX(last.query_pos - firstPos + 1)) / 2;
    ctx.fillStyle = INK;
    ctx.beginPath();
    ctx.moveTo(qx, sy + STRIP_H + 2);
    ctx.lineTo(qx - 5, sy + STRIP_H + 10);
    ctx.lineTo(qx + 5, sy + STRIP_H + 10);
    ctx.fill();
    ctx.font = '11px system-ui, sans-serif';
    const ly = sy + STRIP_H + 22;
    ctx.fillStyle = MUTED;
    ctx.textAlign = 'right';
    ctx.fillText(`query ${last.query_pos}`, Math.min(W - RIGHT_PAD, qx + 30), ly);
    ctx.textAlign = 'left';
    const wx = colX(Math.max(0, last.local_first_pos - firstPos));
    ctx.fillText(`window from ${last.local_first_pos}`, Math.max(lx, wx), ly);
    // The global block's axis: the whole past, by segment (positions g*s ...).
    const nseg = Math.ceil(last.num_global / r);
    ctx.fillText(last.num_global ? `whole past: segments 0 … ${nseg - 1} (positions 0 … ${nseg * s - 1})` : 'no completed segment yet', gx, ly);
    if (bin > 1 || cols * gw >= 120) {
      // Position ticks along the global block (segment g covers [g*s, (g+1)*s)).
      const perCol = (bin / r) * s;   // positions per column
      ctx.strokeStyle = MUTED;
      ctx.font = '9.5px system-ui, sans-serif';
      const stepPos = niceStep((cols * perCol) / 4);
      for (let pos = 0; pos <= cols * perCol; pos += stepPos) {
        const x = gx + (pos / perCol) * gw;
        ctx.beginPath();
        ctx.moveTo(Math.round(x) + 0.5, sy + STRIP_H + 1);
        ctx.lineTo(Math.round(x) + 0.5, sy + STRIP_H + 5);
        ctx.stroke();
        ctx.textAlign = pos === 0 ? 'left' : 'center';
        ctx.fillText(String(pos), x, sy + STRIP_H + 12);
      }
      ctx.textAlign = 'left';
      ctx.font = '11px system-ui, sans-serif';
    }

    // Colour ramp.
    const ky = ly + 10;
    for (let i = 0; i < 120; i++) {
      ctx.fillStyle = LUT[Math.round((i / 119) * 255)];
      ctx.fillRect(gx + i, ky, 1, 8);
    }
    ctx.strokeStyle = '#d6d2c8';
    ctx.strokeRect(gx - 0.5, ky - 0.5, 121, 9);
    ctx.fillStyle = MUTED;
    ctx.fillText('0', gx, ky + 20);
    ctx.textAlign = 'right';
    ctx.fillText('row max (√ scale)', gx + 120, ky + 20);
    ctx.textAlign = 'left';
    const legend = [[GLOBAL, 'global token, ~0 weight'], [BAND, 'window slot, ~0 weight'], [MASKED, 'after the query (causal)'], [PAD, 'padding'], [PENDING, 'segment not complete']];
    let x = gx + 150;
    for (const [c, label] of legend) {
      ctx.fillStyle = c;
      ctx.fillRect(x, ky, 12, 9);
      ctx.strokeRect(x - 0.5, ky - 0.5, 13, 10);
      ctx.fillStyle = MUTED;
      ctx.fillText(label, x + 17, ky + 8);
      x += 30 + ctx.measureText(label).width;
    }
    this.summarise(last);
  }

  /** One line: how the weight splits between the two parts, and the strongest keys. */
  summarise(a) {
    if (!this.summaryEl) return;
    const ng = a.num_global;
    let global = 0;
    let local = 0;
    let best = -1;
    let bestV = -1;
    for (let i = 0; i < a.probs.length; i++) {
      const v = a.probs[i];
      if (i < ng) global += v; else local += v;
      if (v > bestV) { bestV = v; best = i; }
    }
    const total = global + local || 1;
    const r = a.r ?? 1;
    const s = a.segment_size ?? 0;
    let strongest;
    if (best < ng) {
      const g = Math.floor(best / r);
      strongest = `global token of segment ${g} (positions ${g * s}–${(g + 1) * s - 1})`;
    } else {
      const pos = a.local_first_pos + (best - ng);
      const ch = a.charAt?.(pos);
      strongest = `position ${pos}${ch !== undefined ? ` ${JSON.stringify(ch)}` : ''}`;
    }
    const q = a.charAt?.(a.query_pos);
    this.summaryEl.textContent = `Query at position ${a.query_pos}${q !== undefined ? ` ${JSON.stringify(q)}` : ''}: ` +
      `${(100 * global / total).toFixed(1)}% of its attention on ${ng} global token${ng === 1 ? '' : 's'}, ` +
      `${(100 * local / total).toFixed(1)}% on the local window; strongest: ${strongest} (${bestV.toFixed(3)}).`;
  }

  /** An empty panel with a hint. */
  clear() {
    const { ctx } = this;
    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, W, H);
    ctx.fillStyle = MUTED;
    ctx.font = '13px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.fillText('Generate some text: each new token\'s attention over its context appears here.', W / 2, H / 2);
    ctx.textAlign = 'left';
    if (this.summaryEl) this.summaryEl.textContent = '';
  }
}
