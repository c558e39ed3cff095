// Types of the long-short-transformer package (checked by tests/js/types.test-d.ts).

/** The reference package's constructor keyword arguments: LongShortTransformer(**config). */
export interface LongShortTransformerConfig {
  /** Vocabulary size. */
  num_tokens: number;
  /** Model width. */
  dim: number;
  /** Number of layers. */
  depth: number;
  /** Context length used by generation. */
  max_seq_len: number;
  /** Local attention window (default 128). */
  window_size?: number;
  /** Causal (autoregressive) attention (default true). */
  causal?: boolean;
  /** Width of each head (default 64). */
  dim_head?: number;
  /** Attention heads (default 8). */
  heads?: number;
  /** Feed-forward expansion (default 4). */
  ff_mult?: number;
  /** Causal only: segment length (default 16); null when non-causal. */
  segment_size?: number | null;
  /** Causal: tokens per segment (default 1); non-causal: global tokens (default 128). */
  r?: number;
  /** Training only: dropout on the feed-forward's GELU output, in [0, 1) (default 0). */
  ff_dropout?: number;
  /** Training only: dropout on the attention weights, in [0, 1) (default 0). */
  attn_dropout?: number;
}

/** A config as the engine reports it: every field present (the dropout rates only when > 0). */
export type ResolvedConfig = Readonly<Required<Omit<LongShortTransformerConfig, 'segment_size' | 'ff_dropout' | 'attn_dropout'>> &
  { segment_size: number | null; ff_dropout?: number; attn_dropout?: number }>;

/** Where the build files are served from: a folder (URL, or in Node a path) or file name -> URL. */
export type WasmPaths = string | URL | Partial<Record<
  'lst.js' | 'lst.mjs' | 'lst.wasm' | 'lst-threaded.js' | 'lst-threaded.mjs' | 'lst-threaded.wasm' |
  'lst-threaded.worker.js' | 'lst-relaxed.js' | 'lst-relaxed.mjs' | 'lst-relaxed.wasm' |
  'lst-threaded-relaxed.js' | 'lst-threaded-relaxed.mjs' | 'lst-threaded-relaxed.wasm' |
  'lst-threaded-relaxed.worker.js' | 'lst-worker.js', string | URL>>;

export interface EngineOptions {
  /** Threads of the model (default: the machine's, at most 4, when the threaded build can run; else 1). */
  threads?: number;
  /** Force the threaded (true) or single-threaded (false) build; default: automatic. */
  threaded?: boolean;
  /**
   * Force the relaxed-SIMD build (fused multiply-adds, the relaxed int8 dot
   * product) or the SIMD128 one; default: relaxed where the engine validates
   * it (Chromium >= 114, Firefox >= 120, Node >= 22). Logits of the two agree
   * within the bound in docs/RELAXED_SIMD.md; int8 matrix products are exact in both.
   */
  simd?: 'relaxed' | 'simd128';
  /**
   * GEMM backend: 'builtin' or 'xnnpack' (builds linked with a wasm XNNPACK, where it is the
   * single-threaded build's default; the threaded build runs it at 1 thread only, and
   * defaults to 'builtin'). Default: 'builtin' in the package's own builds.
   */
  backend?: 'builtin' | 'xnnpack';
  /** Override where the .wasm/.js build files are fetched from (default: the package's dist/). */
  wasmPaths?: WasmPaths;
}

export interface ProgressInfo {
  status: 'initiate' | 'progress' | 'done';
  /** The URL or path being read. */
  name: string;
  /** Bytes read so far. */
  loaded?: number;
  /** Total bytes (from content-length; 0 when unknown). */
  total?: number;
  /** Percent, when the total is known. */
  progress?: number;
  /** True when the file is read from the browser's cache (Cache API) rather than downloaded. */
  cached?: boolean;
}

export interface LoadOptions extends EngineOptions {
  /** The reference package's kwargs, overriding the file's __metadata__ config. */
  config?: LongShortTransformerConfig;
  /** The format to keep the matrices in (default 'stored': as the file stores them; F16 computes in f32). */
  weights?: WeightsOption;
  /** Called while the weight file downloads (or is read from the cache: `cached: true`). */
  progress_callback?: (info: ProgressInfo) => void;
  /** Cancels the load (the download, and a Worker's start): the promise rejects with an AbortError. */
  signal?: AbortSignal;
  /**
   * Browsers: keep downloaded model files in the Cache API and read them from there on the next
   * page load (true, default); false: always download; 'revalidate': ask the server whether the
   * file changed (ETag / Last-Modified) and use the cached copy when it did not. Node reads files directly.
   */
  cache?: boolean | 'revalidate';
}

export interface CreateOptions extends LongShortTransformerConfig, EngineOptions {
  /** PRNG seed of the initialisation (default 0). */
  seed?: number;
  /** The format to keep the matrices in (default f32). */
  weights?: WeightsOption;
}

export type IntegerArray =
  | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array | BigInt64Array
  | Float32Array | Float64Array;

/** Token ids: one sequence, a batch, a flat typed array (with `dims`), or `{ data, dims }`. */
export type TokensInput =
  | readonly number[]
  | readonly (readonly number[])[]
  | IntegerArray
  | { data: ArrayLike<number | bigint>; dims: readonly number[] };

/** Mask (true / 1 = real token), shaped like the tokens. */
export type MaskInput =
  | readonly (boolean | number)[]
  | readonly (readonly (boolean | number)[])[]
  | Uint8Array | Int32Array
  | { data: ArrayLike<number | boolean>; dims: readonly number[] };

export interface ForwardOptions {
  mask?: MaskInput | null;
  /** Shape of flat tokens: [n] or [b, n]. */
  dims?: readonly number[];
  /** A Float32Array of b * n * num_tokens to write the logits into (reuse it across calls). */
  out?: Float32Array;
  /** Throw an Error naming the first NaN or infinite logit (default false; generate and evaluate always check). */
  checkFinite?: boolean;
}

export interface Logits {
  /** Row-major (b, n, num_tokens). */
  data: Float32Array;
  dims: [number, number, number];
}

export interface RuntimeInfo {
  variant: 'single' | 'threaded';
  /** The SIMD the build uses: 'relaxed' (relaxed SIMD) or 'simd128'. */
  simd: 'relaxed' | 'simd128';
  threads: number;
  backend: string;
  /** The format the matrices are kept and computed in: 'f32', 'f16', 'int8' (or 'mixed'). */
  weights: string;
}

/**
 * Matrices (embedding, projections, feed-forward, logits) kept in memory as
 * 'f32', 'f16' or 'int8' (one f32 scale per block of 32 weights); 'stored'
 * (the default) keeps each as the file stores it, except that F16 matrices
 * compute in f32 (WebAssembly SIMD128 has no half conversion, so f16 would be
 * slower; ask for 'f16' to keep the memory saving). docs/QUANTIZATION.md.
 */
export type WeightsOption = 'f32' | 'f16' | 'int8' | 'stored';

/** The Long-Short Transformer language model in WebAssembly. */
/** A prompt: text (byte-level models) or token ids. */
export type PromptInput = string | readonly number[] | Int32Array | Uint32Array | Int16Array | Uint16Array | Uint8Array;

/** Several prompts, generated independently (one result each). */
export type PromptBatch = readonly string[] | readonly (readonly number[] | Int32Array | Uint32Array | Uint8Array)[];

/** Options of generate() and stream(), in the reference package's snake_case (SPEC 5). */
export interface GenerateOptions {
  /** New tokens to sample (the reference package's seq_len). Default 256. */
  max_new_tokens?: number;
  /** softmax(logits / temperature). Default 1.0 (the reference package's). */
  temperature?: number;
  /** The reference package's top-k rule: keep k = int((1 - filter_thres) * num_tokens) (at least 1). Default 0.9 unless top_k or top_p is given. */
  filter_thres?: number;
  /** Keep the k most likely tokens (when filter_thres is not given). */
  top_k?: number;
  /** Nucleus sampling: the smallest set with probability >= top_p. */
  top_p?: number;
  /** false: greedy (argmax). Default true. */
  do_sample?: boolean;
  /** Seed of the counter-based PRNG: the same seed gives the same tokens natively, in Node and in browsers. */
  seed?: number;
  /** Stop after this token (included, as the reference package). */
  eos_token?: number;
  /** Stop sequences: strings (byte-level models) or token-id lists; included in the output. */
  stop?: string | readonly string[] | readonly number[] | readonly (readonly number[])[];
  /** Stops generation between tokens (finish_reason 'abort'). */
  signal?: AbortSignal;
  /** Called for every new token; return false to stop (finish_reason 'callback'). */
  callback?: (step: GenerationStep) => boolean | void;
  /** Record the attention weights of the latest token for one (layer, head) in each step. */
  attention?: { layer?: number; head?: number };
  /** Past max_seq_len: 'exact' re-encodes the last max_seq_len tokens every step (the reference package, default); 'reencode' only every reencode_every tokens (faster, not the reference package's function). */
  context_mode?: 'exact' | 'reencode';
  /** Tokens between re-encodes in 'reencode' mode (default max_seq_len / 2). */
  reencode_every?: number;
}

/** Attention weights of the latest token: [global tokens | 2 * window_size local slots]. */
export interface AttentionWeights {
  probs: Float32Array;
  /** Global slots: r per completed segment of segment_size positions. */
  num_global: number;
  /** Position of local slot 0 (negative positions are padding, weight 0). */
  local_first_pos: number;
  query_pos: number;
  window_size: number;
  segment_size: number | null;
  r: number;
  layer: number;
  head: number;
}

/** One new token. `text` is the UTF-8 text it completes (byte-level models). */
export interface GenerationStep {
  token: number;
  text: string;
  index: number;
  /** Tokens the logits were computed from. */
  context_length: number;
  /** Milliseconds spent computing this token. */
  ms: number;
  attention?: AttentionWeights;
  /**
   * Said once per generation, on the step after which the context passes max_seq_len in the
   * exact mode: every later token re-encodes the whole window (about 100x slower).
   */
  warning?: string;
}

/** The reference package's loss over a byte sequence. */
export interface Evaluation {
  nats_per_byte: number;
  bits_per_byte: number;
  /** Bytes read. */
  bytes: number;
}

export interface GenerateResult {
  /** The new tokens only (as the reference package). */
  tokens: number[];
  /** Their text: the UTF-8 decoding for byte-level models (num_tokens 256); '' for other vocabularies. */
  text: string;
  finish_reason: 'length' | 'eos' | 'stop' | 'abort' | 'callback';
  /** What the generation said on the way (step.warning). */
  warnings: string[];
  stats: { tokens_per_second: number; ms_per_token: number };
}

export declare class LongShortTransformer {
  private constructor();
  /** Loads safetensors weights from a URL, a path (Node), bytes, a Response or a Blob. */
  static load(
    source: string | URL | ArrayBuffer | ArrayBufferView | Response | Blob,
    options?: LoadOptions,
  ): Promise<LongShortTransformer>;
  /** A fresh model with the reference package's kwargs and a seeded default initialisation. */
  static create(options: CreateOptions): Promise<LongShortTransformer>;
  /** The reference package's kwargs of this model. */
  readonly config: ResolvedConfig;
  /** Trainable parameters. */
  readonly numParameters: number;
  /** The build and thread count running this model. */
  readonly runtime: RuntimeInfo;
  /** True after dispose(). */
  readonly disposed: boolean;
  /** Logits (b, n, num_tokens) of every position. */
  forward(tokens: TokensInput, options?: ForwardOptions): Logits;
  /** The weights as a safetensors file (seed names, config in __metadata__). */
  /** Held-out loss of a byte-level model over text or bytes: windows of seq + 1 bytes (default max_seq_len), as `lst eval-text`. */
  evaluate(data: string | Uint8Array | ArrayBuffer, options?: { seq?: number }): Evaluation;
  save(options?: { dtype?: 'float32' | 'float16' | 'int8' }): Uint8Array;
  /** The reference package's generate() with the incremental cache; a list of prompts gives a list of results. */
  generate(prompt: PromptInput, options?: GenerateOptions): Promise<GenerateResult>;
  generate(prompt: PromptBatch, options?: GenerateOptions): Promise<GenerateResult[]>;
  generate(prompt: PromptInput | PromptBatch, options?: GenerateOptions): Promise<GenerateResult | GenerateResult[]>;
  /** generate() as an async iterator of steps. */
  stream(prompt: PromptInput, options?: GenerateOptions): AsyncGenerator<GenerationStep>;
  /** Frees the model's memory and threads. Idempotent. */
  dispose(): void;
}

/**
 * The same model in a Worker (worker_threads in Node): the caller's thread never
 * blocks, so forward() and save() return Promises. dispose() stops the Worker.
 */
export declare class LongShortTransformerWorker {
  private constructor();
  static load(
    source: string | URL | ArrayBuffer | ArrayBufferView | Response | Blob,
    options?: LoadOptions,
  ): Promise<LongShortTransformerWorker>;
  static create(options: CreateOptions): Promise<LongShortTransformerWorker>;
  readonly config: ResolvedConfig;
  readonly numParameters: number;
  readonly runtime: RuntimeInfo;
  readonly disposed: boolean;
  forward(tokens: TokensInput, options?: ForwardOptions): Promise<Logits>;
  /** Held-out loss of a byte-level model over text or bytes: windows of seq + 1 bytes (default max_seq_len), as `lst eval-text`. */
  evaluate(data: string | Uint8Array | ArrayBuffer, options?: { seq?: number }): Promise<Evaluation>;
  save(options?: { dtype?: 'float32' | 'float16' | 'int8' }): Promise<Uint8Array>;
  generate(prompt: PromptInput, options?: GenerateOptions): Promise<GenerateResult>;
  generate(prompt: PromptBatch, options?: GenerateOptions): Promise<GenerateResult[]>;
  generate(prompt: PromptInput | PromptBatch, options?: GenerateOptions): Promise<GenerateResult | GenerateResult[]>;
  stream(prompt: PromptInput, options?: GenerateOptions): AsyncGenerator<GenerationStep>;
  dispose(): void;
}

export interface TensorInfo {
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  metadata: Record<string, string>;
  tensors: Map<string, TensorInfo>;
  dataOffset: number;
}

/** Parses a safetensors header (names, dtypes, shapes, metadata). */
export declare function readSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader;

/** A safetensors file in memory. */
export declare class SafetensorsFile {
  constructor(bytes: Uint8Array);
  readonly bytes: Uint8Array;
  readonly metadata: Record<string, string>;
  readonly tensors: Map<string, TensorInfo>;
  readonly names: string[];
  has(name: string): boolean;
  get(name: string): {
    data: Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;
    dims: number[];
    dtype: string;
  };
}

/** The reference package's kwarg names. */
export declare const CONFIG_KEYS: readonly string[];

/** URL of the bundled byte-level model (tinyshakespeare; see MODEL.md): pass it to load(). */
export declare const bundledModelUrl: URL;

/** Name of the Cache API cache holding downloaded model files (browsers). */
export declare const MODEL_CACHE_NAME: string;

/** Removes cached model downloads: the one of `url`, or all of them. Resolves to whether anything was removed (false in Node). */
export declare function clearModelCache(url?: string | URL): Promise<boolean>;

// ------------------------------------------------------------------ training

/** Options of Trainer.create(): the model, the data and the reference package's train.py options (snake_case). */
export interface TrainerOptions extends EngineOptions {
  /** The reference package's kwargs of a fresh model (with init: overrides the file's config). */
  config?: LongShortTransformerConfig;
  /** Initial weights: safetensors bytes, a path (Node) or URL, or a LongShortTransformer (fine-tuning). Default: the reference package's init from `seed`. */
  init?: string | URL | ArrayBuffer | ArrayBufferView | Response | Blob | LongShortTransformer;
  /** Training bytes: a Uint8Array, text (a string, UTF-8 encoded), a URL / file: URL, or { path } (Node); gzip bytes are inflated. */
  data: Uint8Array | ArrayBuffer | ArrayBufferView | string | URL | { path: string };
  /** The last fraction of the data held out for validation (default 0.1). */
  valid_fraction?: number;
  /** 'seed': the reference package's train.py (its model when no config/init, seq 1024); its optimiser settings are the defaults anyway. */
  preset?: 'seed';
  /** Sequences per micro-batch (default 4). */
  batch?: number;
  /** Micro-batches per optimiser step; gradients sum, as the reference package (default 4). */
  accum?: number;
  /** Tokens per sequence (default min(1024, max_seq_len): 1024 for the reference package's train.py model). */
  seq?: number;
  /** Total optimiser steps: the cosine schedule's length and run()'s default (default 1000). */
  steps?: number;
  /** Learning rate (default 3e-4). */
  lr?: number;
  /** Adam betas (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Adam eps (default 1e-8). */
  eps?: number;
  /** AdamW decoupled weight decay (default 0: the reference package's Adam). */
  weight_decay?: number;
  /** Global gradient-norm clip (default 0.5; <= 0: none). */
  clip?: number;
  /** Linear warmup steps (default 0). */
  warmup?: number;
  /** Cosine decay to lr * min_lr_ratio at `steps` (default false). */
  cosine?: boolean;
  min_lr_ratio?: number;
  /** Batches of fixed validation windows per validate() (default 4). */
  valid_batches?: number;
  /** run(): validate every N steps (default 100, train.py's; 0: never). */
  valid_every?: number;
  /** run(): sample every N steps (default 500, train.py's; 0: never). */
  sample_every?: number;
  /** Bytes per sample (default 512). */
  sample_len?: number;
  /** Validation bytes that prime a default sample (default 128). */
  sample_prime?: number;
  /** Seed of the init, the window sampler and the samples (default 0). */
  seed?: number;
}

export interface TrainerStep {
  /** Optimiser steps done. */
  step: number;
  /** Mean micro-batch loss, nats per byte. */
  loss: number;
  lr: number;
  /** Gradient norm before clipping. */
  grad_norm: number;
}

export interface TrainerEvent {
  kind: 'step' | 'valid' | 'sample';
  step: number;
  /** Total steps (the schedule's, or where this run ends if later). */
  steps: number;
  /** 'step': training loss; 'valid': validation loss (nats per byte). */
  loss: number;
  /** 'valid': bits per byte. */
  bits?: number;
  lr: number;
  grad_norm: number;
  /** Training tokens per second of step time in this run. */
  tokens_per_second: number;
  eta_seconds: number;
  elapsed_seconds: number;
  /** 'sample': prime and continuation. */
  text?: string;
  /** 'sample': the prime alone. */
  prime?: string;
}

export interface TrainerRunOptions {
  /** Steps to run now (default: until the `steps` given to create()). */
  steps?: number;
  /** Validate every N steps and after the last (default 100; 0: never). */
  valid_every?: number;
  /** Sample every N steps (default 0: never). */
  sample_every?: number;
  /** Bytes per sample (default 512). */
  sample_len?: number;
  /** Called after every step, validation and sample; return false to stop. */
  progress_callback?: (event: TrainerEvent) => boolean | void;
  /** Stops between steps (finish_reason 'abort'). */
  signal?: AbortSignal;
}

export interface TrainerRunResult {
  steps_done: number;
  steps_run: number;
  finish_reason: 'steps' | 'abort' | 'callback';
  /** The last training loss. */
  loss: number;
  /** The last validation, if any. */
  valid: { nats: number; bits: number } | null;
  seconds: number;
  tokens_per_second: number;
}

/** Named tensors over one flat Float32Array in state_dict order (trainable tensors only). */
export interface FlatTensors {
  tensors: { name: string; shape: number[]; offset: number; numel: number }[];
  data: Float32Array;
  get(name: string): Float32Array;
}

export interface GradientsOptions extends EngineOptions {
  /** (b, n+1) mask, true = real token. */
  mask?: MaskInput | null;
  /** Shape of flat tokens: [b, n+1]. */
  dims?: readonly number[];
  /** The reference package's kwargs (overrides the file's; required when init is null). */
  config?: LongShortTransformerConfig;
  /** Seed of the init when init is null. */
  seed?: number;
}

export interface GradientsResult {
  /** The AutoregressiveWrapper loss (mean cross-entropy, nats). */
  loss: number;
  gradients: FlatTensors;
  config: ResolvedConfig;
}

export interface TrainStepsOptions extends EngineOptions {
  /** (b, n+1) mask used by every micro-batch. */
  mask?: MaskInput | null;
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weight_decay?: number;
  clip?: number;
  config?: LongShortTransformerConfig;
  seed?: number;
}

export interface TrainStepsResult {
  /** Each micro-batch's loss before its step's update, [steps * accum]. */
  losses: Float64Array;
  grad_norms: Float64Array;
  /** The weights after the last step. */
  weights: FlatTensors;
  /** The same as a safetensors file. */
  file: Uint8Array;
  config: ResolvedConfig;
}

type InitSource = string | URL | ArrayBuffer | ArrayBufferView | Response | Blob | LongShortTransformer;

/** The reference package's train.py loop in WebAssembly (the same code as `lst train`). */
export declare class Trainer {
  private constructor();
  static create(options: TrainerOptions): Promise<Trainer>;
  /** The AutoregressiveWrapper loss and every parameter's gradient on tokens (b, n+1). */
  static gradients(init: InitSource | null, tokens: TokensInput, options?: GradientsOptions): Promise<GradientsResult>;
  /** train.py on given micro-batches [steps, accum, b, n+1]. */
  static trainSteps(
    init: InitSource | null,
    batches: { data: ArrayLike<number | bigint>; dims: readonly number[] },
    options?: TrainStepsOptions,
  ): Promise<TrainStepsResult>;
  readonly config: ResolvedConfig;
  readonly options: Readonly<Record<string, unknown>>;
  readonly runtime: RuntimeInfo;
  readonly stepsDone: number;
  readonly sizes: { train_bytes: number; valid_bytes: number; step_memory_bytes: number; parameters: number };
  readonly disposed: boolean;
  /** One optimiser step (synchronous). */
  step(): TrainerStep;
  /** Loss over the fixed validation windows. */
  validate(): { nats: number; bits: number };
  /** The prime followed by len sampled bytes as text (the reference package's top-k 0.9 rule). */
  sample(len?: number, prime?: string | Uint8Array): string;
  /** Steps with progress events, yielding to the event loop between steps. */
  run(options?: TrainerRunOptions): Promise<TrainerRunResult>;
  /** The weights as safetensors (seed names, config in __metadata__). */
  save(options?: { dtype?: 'float32' | 'float16' }): Uint8Array;
  /**
   * The whole training state (weights, Adam's moments and counter, step,
   * data sampler) as one checksummed safetensors file, for {@link Trainer.resume}.
   */
  saveState(): Uint8Array;
  /**
   * Continues from saveState()'s bytes (bit for bit, given the same options
   * and data); returns the steps done. A truncated, corrupted or other-config
   * state throws an Error naming it and leaves the trainer unchanged.
   */
  resume(state: Uint8Array | ArrayBuffer): number;
  /** The trained weights as a LongShortTransformer. */
  toModel(options?: EngineOptions): Promise<LongShortTransformer>;
  dispose(): void;
}

/** The reference package's train.py model kwargs. */
export declare const SEED_TRAIN_CONFIG: Readonly<LongShortTransformerConfig>;

// ------------------------------------------------------------------ training in a Worker

/** Options of TrainerWorker.create(): those of Trainer.create, and a signal that cancels the start. */
export interface TrainerWorkerOptions extends Omit<TrainerOptions, 'init' | 'data'> {
  /** Initial weights: safetensors bytes, a URL or path, a Blob or Response, or a model (LongShortTransformer or LongShortTransformerWorker: its weights). */
  init?: string | URL | ArrayBuffer | ArrayBufferView | Response | Blob | LongShortTransformer | LongShortTransformerWorker;
  /** Training bytes: text (a string, UTF-8 encoded), a Uint8Array / ArrayBuffer, a Blob, a URL, or { path } (Node). */
  data: string | Uint8Array | ArrayBuffer | ArrayBufferView | Blob | URL | { path: string };
  /** Cancels the start: the Worker stops and create() rejects with an AbortError. */
  signal?: AbortSignal;
}

/** A progress event of TrainerWorker.run(): the Trainer's, and 'pause' / 'resume' (step and steps only). */
export interface TrainerWorkerEvent extends Omit<TrainerEvent, 'kind'> {
  kind: 'step' | 'valid' | 'sample' | 'pause' | 'resume';
}

export interface TrainerWorkerRunOptions extends Omit<TrainerRunOptions, 'progress_callback' | 'signal'> {
  /** Called on this thread after every step, validation, sample, pause and resume; return false to stop. */
  progress_callback?: (event: TrainerWorkerEvent) => boolean | void;
  /** Stops the run after its current step (finish_reason 'abort'); run() resolves. */
  signal?: AbortSignal;
}

export interface TrainerWorkerRunResult extends Omit<TrainerRunResult, 'finish_reason'> {
  finish_reason: 'steps' | 'stop' | 'abort' | 'callback';
}

/** The Trainer in a Worker of its own: the page stays responsive; runs pause, resume and stop between steps. */
export declare class TrainerWorker {
  private constructor();
  /** Rejects naming the problem (bad options, data too short for one sequence, ...), with an AbortError or a TimeoutError (the Worker did not start in 30 s). */
  static create(options: TrainerWorkerOptions): Promise<TrainerWorker>;
  readonly config: ResolvedConfig;
  readonly options: Readonly<Record<string, unknown>>;
  readonly runtime: RuntimeInfo;
  readonly sizes: { train_bytes: number; valid_bytes: number; step_memory_bytes: number; parameters: number };
  /** Optimiser steps done, as of the latest event or call. */
  readonly stepsDone: number;
  /** True while run() is in progress (also when paused). */
  readonly running: boolean;
  readonly paused: boolean;
  readonly disposed: boolean;
  run(options?: TrainerWorkerRunOptions): Promise<TrainerWorkerRunResult>;
  /** Pauses after the current step; resolves once paused (paused: false when no run was going). */
  pause(): Promise<{ paused: boolean; step: number }>;
  resume(): Promise<void>;
  /** Ends the run after its current step (at once when paused); resolves when it has ended. */
  stop(): Promise<void>;
  validate(): Promise<{ nats: number; bits: number }>;
  sample(len?: number, prime?: string | Uint8Array): Promise<string>;
  /** The current weights as safetensors (works during a run and while paused). */
  save(options?: { dtype?: 'float32' | 'float16' }): Promise<Uint8Array>;
  /** The current weights in a new LongShortTransformerWorker. */
  toModel(options?: LoadOptions): Promise<LongShortTransformerWorker>;
  /** Stops the Worker (a pending run() rejects). */
  dispose(): void;
}
