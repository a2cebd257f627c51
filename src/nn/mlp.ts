// MLP: a stack of Linear + activation, with a final Linear (logits), as micrograd keeps it:
// small enough to read in one sitting. Weights are [out_features, in_features] as in PyTorch.

import { ACTIVATIONS, type Activation, DEFAULT_LEAKY_SLOPE, type GemmOptions } from '../backend/types.js';
import { ArgumentError, DataError, FormatError, ShapeError, expected } from '../errors.js';
import { type WrittenFile, writeFileAtomic } from '../io/atomic.js';
import { encodeSafetensors, readSafetensors } from '../io/safetensors.js';
import { Rng } from '../rng.js';
import { Tensor, shapeStr } from '../tensor.js';
import { softmaxCrossEntropy } from './loss.js';
import { firstNonFinite } from '../finite.js';
import { type ActivationSpec, type LayerActivation, describeActivations, parseActivations, resolveActivations } from './activation.js';
import { type ForwardOptions, forwardRows, forwardRowsAsync, gemmOptions } from './forward.js';
import { FusedForwardPlan } from './fused-forward.js';
import { FrozenMLP } from './frozen-mlp.js';

export interface Linear {
  weight: Tensor; // [out, in]
  bias: Float32Array; // [out]
}

export interface MLPOptions {
  sizes: number[]; // [in, hidden..., out]
  /** One activation for every hidden layer (default relu) or one per hidden layer. */
  activation?: ActivationSpec;
  /** Slope of leaky_relu entries given by name only (default 0.01, PyTorch's). */
  leakySlope?: number;
  seed?: number;
}

/** Most floats forward keeps for its hidden layers between calls (8 MiB). */
const HIDDEN_SCRATCH_FLOATS = 1 << 21;

export class MLP {
  readonly layers: Linear[];
  /** The activation after each hidden layer (layers[i], i < L−1); the last layer is linear. */
  readonly activations: LayerActivation[];
  /** Per-layer output buffers and GEMM options of the single-sample path, made on first use. */
  private scratch: { out: (Float32Array | undefined)[]; opts: GemmOptions[]; run: ForwardOptions } | null = null;
  /** The backend's fused plan (forward, forwardOne) and forwardOne's output buffer, made on first use. */
  private fused: FusedForwardPlan | null = null;
  private oneOut: Float32Array | null = null;
  /** The hidden layers' outputs of forward on a backend without a fused path (hiddenBuffers). */
  private hiddenScratch: Float32Array | null = null;

  constructor(layers: Linear[], activation: ActivationSpec = 'relu', leakySlope = DEFAULT_LEAKY_SLOPE) {
    if (layers.length === 0) throw new ArgumentError('An MLP needs at least one layer');
    layers.forEach((l, i) => {
      l.weight.assertRank(2, `layer ${i} weight`);
      const [out, inp] = l.weight.shape as [number, number];
      if (l.bias.length !== out) throw new ShapeError(`Layer ${i}: bias has ${l.bias.length} entries but weight ${shapeStr(l.weight.shape)} has ${out} outputs`);
      if (i > 0) {
        const prevOut = layers[i - 1]!.weight.shape[0]!;
        if (inp !== prevOut) {
          throw new ShapeError(`Layer shapes don't chain: layer ${i - 1} outputs ${prevOut} features but layer ${i} weight ${shapeStr(l.weight.shape)} expects ${inp}`);
        }
      }
    });
    this.layers = layers;
    this.activations = resolveActivations(activation, layers.length - 1, leakySlope);
  }

  /** The activation of every hidden layer, when they share one (a per-layer model throws: read `activations`). */
  get activation(): Activation {
    const names = new Set(this.activations.map((a) => a.name));
    if (names.size > 1) throw new ArgumentError(`This model's hidden layers have different activations (${describeActivations(this.activations)}); read .activations`);
    return this.activations[0]?.name ?? 'identity';
  }

  /** The leaky_relu slope of the first leaky layer (0.01 when there is none). */
  get leakySlope(): number {
    return this.activations.find((a) => a.name === 'leaky_relu')?.slope ?? DEFAULT_LEAKY_SLOPE;
  }

  /** "relu", or per layer "gelu,gelu,leaky_relu(0.2)". */
  describeActivations(): string {
    return describeActivations(this.activations);
  }

  /** PyTorch's default nn.Linear init: weight and bias uniform(±1/√fan_in), seeded. */
  static create(opts: MLPOptions): MLP {
    const { sizes, activation = 'relu', leakySlope = DEFAULT_LEAKY_SLOPE, seed = 0 } = opts;
    if (!Array.isArray(sizes) || sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
      throw expected('at least two positive integer layer sizes', 'sizes', sizes);
    }
    const rng = new Rng(seed);
    const layers: Linear[] = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      const fanIn = sizes[i]!;
      const out = sizes[i + 1]!;
      const bound = 1 / Math.sqrt(fanIn);
      const w = new Float32Array(out * fanIn);
      for (let j = 0; j < w.length; j++) w[j] = rng.uniform(-bound, bound);
      const b = new Float32Array(out);
      for (let j = 0; j < out; j++) b[j] = rng.uniform(-bound, bound);
      layers.push({ weight: new Tensor(w, [out, fanIn]), bias: b });
    }
    return new MLP(layers, activation, leakySlope);
  }

  get inputSize(): number {
    return this.layers[0]!.weight.shape[1]!;
  }

  get outputSize(): number {
    return this.layers[this.layers.length - 1]!.weight.shape[0]!;
  }

  /** [in, hidden..., out], e.g. [784, 512, 256, 10]. */
  layerSizes(): number[] {
    return [this.inputSize, ...this.layers.map((l) => l.weight.shape[0]!)];
  }

  paramCount(): number {
    return this.layers.reduce((s, l) => s + l.weight.size + l.bias.length, 0);
  }

  /** x as [rows, in], checked: its shape, and that it holds no NaN or ±Infinity. */
  checkInput(x: Tensor): Tensor {
    const x2 = this.inputRows(x);
    assertFinite(x2.data, 'MLP input', x2.cols);
    return x2;
  }

  private inputRows(x: Tensor): Tensor {
    const x2 = x.rank === 1 ? x.reshape([1, x.size]) : x;
    x2.assertRank(2, 'MLP input');
    if (x2.cols !== this.inputSize) {
      throw new ShapeError(`MLP input has ${x2.cols} features (shape ${shapeStr(x.shape)}) but the model expects ${this.inputSize}`);
    }
    return x2;
  }

  /** Logits for a batch [batch, in] -> [batch, out]: one fused GEMM+bias+activation per layer. */
  forward(x: Tensor): Tensor {
    const h = this.inputRows(x);
    // The backend's fused path (cpu): the whole network in one native call, rows shared by
    // threads in chunks, each chunk's input checked for NaN/Inf where it is read.
    const plan = (this.fused = FusedForwardPlan.for(this, this.fused));
    if (plan) {
      const logits = new Float32Array(h.rows * this.outputSize);
      if (plan.rows(h.data, h.rows, logits) >= 0) assertFinite(h.data, 'MLP input', h.cols);
      return new Tensor(logits, [h.rows, this.outputSize]);
    }
    assertFinite(h.data, 'MLP input', h.cols);
    return new Tensor(forwardRows(this, h.data, h.rows, { out: this.hiddenBuffers(h.rows) }), [h.rows, this.outputSize]);
  }

  /**
   * Reused output buffers for the hidden layers of a forward pass over `rows` rows (the logits are
   * always a new array): fresh arrays cost a page fault per 4 KiB the GEMM first writes (6–9 % of
   * a 1,024-row forward). Only up to HIDDEN_SCRATCH_FLOATS in all, so a pass over a whole dataset
   * does not leave its hidden layers allocated on the model.
   */
  private hiddenBuffers(rows: number): (Float32Array | undefined)[] | undefined {
    let need = 0;
    for (let i = 0; i < this.layers.length - 1; i++) need += rows * this.layers[i]!.weight.shape[0]!;
    if (need === 0 || need > HIDDEN_SCRATCH_FLOATS) return undefined;
    if (!this.hiddenScratch || this.hiddenScratch.length < need) this.hiddenScratch = new Float32Array(need);
    const out: (Float32Array | undefined)[] = [];
    let at = 0;
    for (let i = 0; i < this.layers.length - 1; i++) {
      const len = rows * this.layers[i]!.weight.shape[0]!;
      out.push(this.hiddenScratch.subarray(at, at + len));
      at += len;
    }
    return out;
  }

  /**
   * forward off the event loop: each layer's GEMM runs on the libuv pool (native backends).
   * Do not change the weights or `x` until it resolves; replacing layers is safe (the call runs
   * the model as it was when it started).
   */
  async forwardAsync(x: Tensor): Promise<Tensor> {
    const h = this.checkInput(x);
    const outSize = this.outputSize;
    return new Tensor(await forwardRowsAsync(this, h.data, h.rows), [h.rows, outSize]);
  }

  /**
   * Logits of one sample with no allocation per call: the result is this model's scratch buffer
   * (overwritten by the next call) unless `out` is given. For latency-bound services.
   */
  forwardOne(x: Float32Array, out?: Float32Array): Float32Array {
    const inp = this.inputSize;
    if (!(x instanceof Float32Array) || x.length !== inp) throw expected(`a Float32Array of ${inp} features`, 'input', x);
    if (out && out.length < this.outputSize) throw expected(`a Float32Array of at least ${this.outputSize} entries`, 'out', out);
    // The backend's fused path (cpu): every layer in one native call, which also checks x for NaN/Inf.
    const plan = (this.fused = FusedForwardPlan.for(this, this.fused));
    if (plan) {
      let z = out;
      if (!z) {
        if (this.oneOut?.length !== this.outputSize) this.oneOut = new Float32Array(this.outputSize);
        z = this.oneOut;
      }
      if (plan.one(x, z) >= 0) assertFinite(x, 'MLP input', inp);
      return z;
    }
    // NaN/Inf check in one cheap pass: the sum is non-finite if any element is (four partial
    // sums so the adds don't form one long dependency chain).
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let i = 0;
    for (; i + 4 <= inp; i += 4) {
      s0 += x[i]!;
      s1 += x[i + 1]!;
      s2 += x[i + 2]!;
      s3 += x[i + 3]!;
    }
    for (; i < inp; i++) s0 += x[i]!;
    if (!Number.isFinite(s0 + s1 + s2 + s3)) assertFinite(x, 'MLP input', inp);
    const last = this.layers.length - 1;
    let sc = this.scratch;
    if (!sc || sc.opts.length !== this.layers.length) {
      const outBufs = this.layers.map((l) => new Float32Array(l.weight.shape[0]!));
      const opts = this.layers.map((_, j) => gemmOptions(this, j));
      sc = this.scratch = { out: outBufs, opts, run: { out: outBufs, gemm: opts } };
    }
    // The layers' arrays may have been replaced (e.g. during training) since the options were made.
    for (let j = 0; j <= last; j++) {
      const l = this.layers[j]!;
      sc.opts[j]!.bias = l.bias;
      if (j < last && sc.out[j]!.length !== l.weight.shape[0]) sc.out[j] = new Float32Array(l.weight.shape[0]!);
    }
    const keep = sc.out[last];
    if (out) sc.out[last] = out;
    else if (keep!.length !== this.outputSize) sc.out[last] = new Float32Array(this.outputSize);
    const z = forwardRows(this, x, 1, sc.run);
    if (out) sc.out[last] = keep;
    return z;
  }

  /** Class index of one sample (argmax of forwardOne), no allocation per call. */
  predictOne(x: Float32Array): number {
    const z = this.forwardOne(x);
    let best = z[0]!;
    let arg = 0;
    for (let j = 1; j < this.outputSize; j++) if (z[j]! > best) ((best = z[j]!), (arg = j));
    return arg;
  }

  /** Class index (argmax of the logits) per row. */
  predict(x: Tensor): Int32Array {
    return argmaxRows(this.forward(x));
  }

  /** Accuracy and mean softmax cross-entropy against integer labels. */
  evaluate(x: Tensor, labels: ArrayLike<number>, batchSize = 1024): { accuracy: number; loss: number } {
    const xs = this.checkInput(x);
    if (labels.length !== xs.rows) throw new ShapeError(`${xs.rows} inputs but ${labels.length} labels`);
    checkLabels(labels, this.outputSize);
    let correct = 0;
    let loss = 0;
    for (let s = 0; s < xs.rows; s += batchSize) {
      const logits = this.forward(xs.sliceRows(s, s + batchSize));
      const r = softmaxCrossEntropy(logits.data, labelSlice(labels, s, s + logits.rows), logits.rows, logits.cols);
      loss += r.lossSum;
      correct += r.correct;
    }
    const count = xs.rows;
    return { accuracy: count ? correct / count : 0, loss: count ? loss / count : 0 };
  }

  /**
   * safetensors bytes named as a PyTorch nn.Sequential state_dict: Linear layers at even indices
   * (`0.weight` [out, in], `0.bias`, `2.weight`, …), activations at odd ones; `__metadata__`
   * records the activation(s) so the file loads back as the same model: `activation` is one name
   * (with `leakySlope` for leaky_relu) or, per layer, a list such as "gelu,leaky_relu(0.2)".
   */
  toSafetensors(extra: Record<string, string> = {}): Uint8Array {
    const tensors = new Map<string, Tensor>();
    this.layers.forEach((l, i) => {
      tensors.set(`${2 * i}.weight`, l.weight);
      tensors.set(`${2 * i}.bias`, new Tensor(l.bias, [l.bias.length]));
    });
    return encodeSafetensors(tensors, { metadata: { ...extra, ...this.metadata() } });
  }

  /** What a saved model records about itself: activation(s), layer sizes. */
  metadata(): Record<string, string> {
    const acts = this.activations;
    const uniform = acts.every((a) => a.name === acts[0]!.name && a.slope === acts[0]!.slope);
    const metadata: Record<string, string> = { format: 'pt', activation: uniform ? (acts[0]?.name ?? 'identity') : describeActivations(acts), layerSizes: this.layerSizes().join(',') };
    if (uniform && acts[0]?.name === 'leaky_relu') metadata.leakySlope = String(acts[0].slope);
    return metadata;
  }

  /** Writes toSafetensors() to `path` atomically, never over one of `inputs`; returns { path, bytes }. */
  save(path: string, opts: { inputs?: readonly string[] } = {}): WrittenFile {
    return writeFileAtomic(path, this.toSafetensors(), opts);
  }

  /**
   * An MLP from safetensors bytes (or a file path). Reads nn.Sequential state_dicts (`0.weight`,
   * `2.weight`, …, any prefix such as `layers.0.`) and named layers (`fc1.weight`, `hidden.weight`, …):
   * layers are ordered by the numbers in their names, or, when that does not chain, by their shapes.
   * The activations come from `opts.activation`, else the file's `__metadata__`; a file with
   * neither (a state_dict saved as is) is a FormatError that says to give one.
   */
  static fromSafetensors(src: Uint8Array | ArrayBuffer | string, opts: ActivationChoice = {}): MLP {
    const file = readSafetensors(src);
    return MLP.fromStateDict(file.tensors, file.metadata, typeof src === 'string' ? src : 'the safetensors file', opts).model;
  }

  /**
   * An MLP from a PyTorch state_dict (name -> tensor), as safetensors or .npz hold it: Linear
   * layers (`P.weight` [out, in], `P.bias`), and BatchNorm1d (`P.weight`, `P.bias`,
   * `P.running_mean`, `P.running_var`, `P.num_batches_tracked`) folded exactly into the Linear
   * whose outputs it normalises. Modules without parameters (activations, Dropout) leave gaps in
   * nn.Sequential indices and are simply absent. Returns what was folded.
   */
  static fromStateDict(tensors: Map<string, Tensor>, metadata: Record<string, string>, where: string, opts: ActivationChoice = {}): { model: MLP; folded: string[] } {
    type Group = { weight?: Tensor; bias?: Tensor; running_mean?: Tensor; running_var?: Tensor; num_batches_tracked?: Tensor };
    const groups = new Map<string, Group>();
    for (const [name, t] of tensors) {
      const m = /^(.*)\.(weight|bias|running_mean|running_var|num_batches_tracked)$/.exec(name);
      if (!m) throw new FormatError(`${where}: tensor '${name}' is not a Linear or BatchNorm1d parameter (trimnet reads MLPs of Linear layers, with BatchNorm1d folded in)`);
      const g = groups.get(m[1]!) ?? {};
      g[m[2] as keyof Group] = t;
      groups.set(m[1]!, g);
    }
    if (groups.size === 0) throw new FormatError(`${where} holds no tensors`);
    const layers: { name: string; weight: Tensor; bias: Float32Array }[] = [];
    const norms: { name: string; g: Group }[] = [];
    for (const [name, g] of groups) {
      if (g.running_mean || g.running_var) {
        if (!(g.running_mean && g.running_var)) throw new FormatError(`${where}: BatchNorm '${name}' needs both running_mean and running_var`);
        norms.push({ name, g });
        continue;
      }
      if (!g.weight) throw new FormatError(`${where}: '${name}.bias' has no matching '${name}.weight'`);
      if (g.weight.rank !== 2) throw new ShapeError(`${where}: '${name}.weight' has shape ${shapeStr(g.weight.shape)}, not [out, in]`);
      const out = g.weight.shape[0]!;
      if (g.bias && (g.bias.rank !== 1 || g.bias.size !== out)) {
        throw new ShapeError(`${where}: '${name}.bias' has shape ${shapeStr(g.bias.shape)} but '${name}.weight' ${shapeStr(g.weight.shape)} has ${out} outputs`);
      }
      assertFinite(g.weight.data, `'${name}.weight' in ${where}`, g.weight.cols, DataError);
      if (g.bias) assertFinite(g.bias.data, `'${name}.bias' in ${where}`, out, DataError);
      // Copies: BatchNorm folding rewrites them.
      layers.push({ name, weight: g.weight.clone(), bias: g.bias ? g.bias.data.slice() : new Float32Array(out) });
    }
    if (layers.length === 0) throw new FormatError(`${where} holds no Linear layer`);
    layers.sort((a, b) => naturalCompare(a.name, b.name));
    const ordered = chains(layers) ? layers : (orderByShapes(layers) ?? layers);
    if (!chains(ordered)) {
      const desc = ordered.map((l) => `${l.name} ${shapeStr(l.weight.shape)}`).join(', ');
      throw new ShapeError(`Layer shapes don't chain in ${where}: ${desc} (each layer's input size must equal the previous layer's output size)`);
    }
    const folded: string[] = [];
    for (const { name, g } of norms.sort((a, b) => naturalCompare(a.name, b.name))) {
      const size = g.running_mean!.size;
      // The Linear it follows: the only one of its width, else the one before it in name order.
      const fits = ordered.filter((l, i) => l.weight.shape[0] === size && i < ordered.length - 1);
      const before = fits.filter((l) => naturalCompare(l.name, name) < 0);
      const target = fits.length === 1 ? fits[0] : before[before.length - 1];
      if (!target) throw new FormatError(`${where}: BatchNorm '${name}' (${size} features) follows no hidden Linear layer of that width`);
      const ones = new Float32Array(size).fill(1);
      foldBatchNorm(target, g.weight?.data ?? ones, g.bias?.data ?? new Float32Array(size), g.running_mean!.data, g.running_var!.data, Number(metadata[`${name}.eps`] ?? 1e-5));
      folded.push(`BatchNorm1d '${name}' into '${target.name}'`);
    }
    const activations = activationsFor(ordered.length - 1, metadata, where, opts);
    return { model: new MLP(ordered.map((l) => ({ weight: l.weight, bias: l.bias })), activations), folded };
  }

  /**
   * A copy for serving whose weights are packed once for the kernels (cpu backend): faster
   * predictOne/forward, but changes to this model after the call do not reach it.
   */
  freeze(): FrozenMLP {
    return new FrozenMLP(this);
  }

  /** Deep copy. */
  clone(): MLP {
    return new MLP(
      this.layers.map((l) => ({ weight: l.weight.clone(), bias: l.bias.slice() })),
      this.activations,
    );
  }
}

/** Options that say which activations a file's model has, when the file does not. */
export interface ActivationChoice {
  /** One activation for all hidden layers, one per layer, or text as `parseActivations` reads it. */
  activation?: ActivationSpec | string;
  leakySlope?: number;
}

/**
 * The hidden activations of a model read from a file: the caller's choice, else the file's
 * metadata (`activation`, `leakySlope`), else an error: trimnet never guesses.
 */
export function activationsFor(hidden: number, meta: Record<string, string>, where: string, opts: ActivationChoice = {}): LayerActivation[] {
  const slope = opts.leakySlope ?? (meta.leakySlope !== undefined ? Number(meta.leakySlope) : undefined);
  if (opts.activation !== undefined) {
    return typeof opts.activation === 'string' && !(ACTIVATIONS as readonly string[]).includes(opts.activation)
      ? parseActivations(opts.activation, hidden, 'activation', ArgumentError, slope)
      : resolveActivations(opts.activation as ActivationSpec, hidden, slope);
  }
  if (meta.activation !== undefined) return parseActivations(meta.activation, hidden, `${where}: __metadata__`, FormatError, slope);
  if (hidden === 0) return [];
  throw new FormatError(
    `${where} does not record its activation (a PyTorch state_dict saved as is); say which with --activation relu|leaky_relu|gelu|tanh|sigmoid|identity ` +
      `(per hidden layer: "gelu,gelu,tanh" or a JSON list; leaky_relu(0.2) for a slope), or { activation } in the API`,
  );
}

/**
 * Folds an inference BatchNorm y = γ (z − mean)/√(var + ε) + β into the Linear z = W x + b before
 * it, in place: per output j, s = γ_j/√(var_j + ε), W'[j,:] = s·W[j,:], b'_j = s·(b_j − mean_j) + β_j.
 */
export function foldBatchNorm(layer: Linear, gamma: ArrayLike<number>, beta: ArrayLike<number>, mean: ArrayLike<number>, variance: ArrayLike<number>, eps: number): void {
  const [out, inp] = layer.weight.shape as [number, number];
  for (const [v, name] of [[gamma, 'weight'], [beta, 'bias'], [mean, 'running_mean'], [variance, 'running_var']] as const) {
    if (v.length !== out) throw new ShapeError(`BatchNorm ${name} has ${v.length} entries but the Linear layer before it has ${out} outputs`);
  }
  const w = layer.weight.data;
  for (let j = 0; j < out; j++) {
    const s = gamma[j]! / Math.sqrt(variance[j]! + eps);
    if (!Number.isFinite(s)) throw new DataError(`BatchNorm feature ${j}: γ/√(var + ε) is ${s} (variance ${variance[j]})`);
    for (let i = 0; i < inp; i++) w[j * inp + i] = Math.fround(w[j * inp + i]! * s);
    layer.bias[j] = Math.fround(s * (layer.bias[j]! - mean[j]!) + beta[j]!);
  }
}

/** Throws (DataError by default) naming the first NaN/±Infinity. */
function assertFinite(data: Float32Array, what: string, cols: number, Err: typeof DataError = DataError): void {
  const i = firstNonFinite(data);
  if (i < 0) return;
  const at = cols > 0 && data.length > cols ? `row ${Math.floor(i / cols)}, column ${i % cols}` : `index ${i}`;
  throw new Err(`${what} contains ${Number.isNaN(data[i]!) ? 'NaN' : 'Infinity'} at ${at}`);
}

function checkLabels(labels: ArrayLike<number>, classes: number): void {
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!(Number.isInteger(y) && y >= 0 && y < classes)) throw new DataError(`Label ${i} is ${y} but the model has ${classes} classes (labels must be integers in [0, ${classes}))`);
  }
}

function labelSlice(labels: ArrayLike<number>, s: number, e: number): ArrayLike<number> {
  return ArrayBuffer.isView(labels) ? (labels as unknown as Int32Array).subarray(s, e) : Array.prototype.slice.call(labels, s, e);
}

/** Orders "fc2" < "fc10" and "layers.2" < "layers.10": digit runs compare as numbers. */
function naturalCompare(a: string, b: string): number {
  const ta = a.split(/(\d+)/);
  const tb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    const x = ta[i]!;
    const y = tb[i]!;
    if (x === y) continue;
    if (i % 2 === 1) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return ta.length - tb.length;
}

function chains(layers: { weight: Tensor }[]): boolean {
  return layers.every((l, i) => i === 0 || l.weight.shape[1] === layers[i - 1]!.weight.shape[0]);
}

/** The one order in which the layers chain, when the shapes determine it (else null). */
function orderByShapes<T extends { weight: Tensor }>(layers: T[]): T[] | null {
  const outs = layers.map((l) => l.weight.shape[0]!);
  const starts = layers.filter((l) => !outs.includes(l.weight.shape[1]!) || layers.length === 1);
  if (starts.length !== 1) return null;
  const order = [starts[0]!];
  const left = new Set(layers.filter((l) => l !== starts[0]));
  while (left.size) {
    const prevOut = order[order.length - 1]!.weight.shape[0];
    const next = [...left].filter((l) => l.weight.shape[1] === prevOut);
    if (next.length !== 1) return null;
    order.push(next[0]!);
    left.delete(next[0]!);
  }
  return order;
}

export function argmaxRows(t: Tensor): Int32Array {
  const n = t.cols;
  const out = new Int32Array(t.rows);
  for (let i = 0; i < t.rows; i++) {
    let best = -Infinity;
    let arg = 0;
    for (let j = 0; j < n; j++) {
      const v = t.data[i * n + j]!;
      if (v > best) ((best = v), (arg = j));
    }
    out[i] = arg;
  }
  return out;
}
