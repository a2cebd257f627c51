// Mini-batch training of an MLP by backprop, on the backend's GEMM.
//
// Shapes for a batch of B rows, layer l with W_l [out, in], a_{-1} = x [B, in]:
//   forward    a_l = act(a_{l-1} · W_lᵀ + b_l)           (fused GEMM+bias+activation; last layer: identity)
//   loss       mean softmax cross-entropy;  δ_L = (softmax(z_L) − onehot(y)) / B
//   backward   dW_l = δ_lᵀ · a_{l-1}       [out, in]    (GEMM, transA)
//              db_l = Σ_rows δ_l           [out]
//              δ_{l-1} = (δ_l · W_l) ⊙ act'(z_{l-1})   [B, in]  (GEMM, then a tight loop; not for l = 0)
// All buffers are made once per batch size, so an epoch allocates nothing per batch.
// Deterministic for a seed and backend: the shuffle is seeded, the kernels are deterministic.

import { SingleBar } from 'cli-progress';
import { activateGrad } from '../backend/activation.js';
import { getBackend } from '../backend/registry.js';
import type { Backend } from '../backend/types.js';
import { DataError, ShapeError, expected } from '../errors.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import type { LayerActivation } from './activation.js';
import { forwardRows } from './forward.js';
import { softmaxCrossEntropy } from './loss.js';
import type { MLP } from './mlp.js';
import { Adam, Sgd, type Optimizer } from './optim.js';

export interface TrainProgress {
  epoch: number; // 1-based
  epochs: number;
  batch: number; // batches done in this epoch
  batches: number;
  loss: number; // mean training loss so far in this epoch
  accuracy: number; // training accuracy so far in this epoch
  seconds: number; // this epoch so far
  done: boolean; // true once per epoch, at its end
}

export interface TrainOptions {
  epochs?: number; // default 1
  batchSize?: number; // default 128
  lr?: number; // default 1e-3 (adam) or 1e-2 (sgd)
  optimizer?: 'adam' | 'sgd'; // default adam
  momentum?: number; // sgd only, default 0.9
  weightDecay?: number; // L2, as PyTorch's weight_decay; default 0
  seed?: number; // shuffle seed, default 0
  shuffle?: boolean; // default true
  /** Called at the end of every epoch (done: true) and every `progressEvery` batches. */
  onProgress?: (p: TrainProgress) => void;
  progressEvery?: number; // default: never mid-epoch
  /** A progress bar on stderr (only drawn when stderr is a terminal). Default false. */
  progress?: boolean;
}

export interface TrainResult {
  /** Per epoch: the loss and accuracy averaged over its batches (the weights moving meanwhile). */
  epochs: { epoch: number; loss: number; accuracy: number; seconds: number }[];
  seconds: number;
  /** Loss and accuracy of the trained model on the whole training set, measured after the last epoch. */
  loss: number;
  accuracy: number;
}

/** d act / dz from the activation's output a (ReLU family, tanh, sigmoid) or its input z (GELU). */
function derivInPlace(act: LayerActivation, a: Float32Array, z: Float32Array | null, d: Float32Array, n: number): void {
  const slope = act.slope;
  switch (act.name) {
    case 'identity':
      return;
    case 'relu':
      for (let i = 0; i < n; i++) if (!(a[i]! > 0)) d[i] = 0;
      return;
    case 'leaky_relu':
      for (let i = 0; i < n; i++) if (!(a[i]! > 0)) d[i] = d[i]! * slope;
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) d[i] = d[i]! * (1 - a[i]! * a[i]!);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) d[i] = d[i]! * a[i]! * (1 - a[i]!);
      return;
    case 'gelu':
      for (let i = 0; i < n; i++) d[i] = d[i]! * activateGrad('gelu', z![i]!, a[i]!);
  }
}

/** Buffers for batches of `rows` rows. */
interface Work {
  rows: number;
  x: Float32Array; // [rows, in]
  y: Int32Array;
  act: Float32Array[]; // per layer [rows, out]
  pre: (Float32Array | null)[]; // per layer pre-activation (GELU layers only: its derivative needs z)
  delta: Float32Array[]; // per layer [rows, out]
}

function makeWork(mlp: MLP, rows: number): Work {
  const outs = mlp.layers.map((l) => l.weight.shape[0]!);
  return {
    rows,
    x: new Float32Array(rows * mlp.inputSize),
    y: new Int32Array(rows),
    act: outs.map((o) => new Float32Array(rows * o)),
    pre: outs.map((o, i) => (i < outs.length - 1 && mlp.activations[i]!.name === 'gelu' ? new Float32Array(rows * o) : null)),
    delta: outs.map((o) => new Float32Array(rows * o)),
  };
}

/** One forward + backward on the rows in `w`; fills grads; returns the summed loss and correct count. */
function step(mlp: MLP, backend: Backend, w: Work, gW: Float32Array[], gB: Float32Array[]): { lossSum: number; correct: number } {
  const L = mlp.layers.length;
  const B = w.rows;
  forwardRows(mlp, w.x, B, { out: w.act, pre: w.pre });
  const outN = mlp.outputSize;
  const r = softmaxCrossEntropy(w.act[L - 1]!, w.y, B, outN, w.delta[L - 1]!, 1 / B);
  for (let l = L - 1; l >= 0; l--) {
    const { weight } = mlp.layers[l]!;
    const [o, k] = weight.shape as [number, number];
    const d = w.delta[l]!;
    const aPrev = l === 0 ? w.x : w.act[l - 1]!;
    backend.gemm(o, k, B, d, aPrev, gW[l]!, { transA: true }); // dW = δᵀ · a_prev
    const gb = gB[l]!;
    gb.fill(0);
    for (let i = 0; i < B; i++) {
      const off = i * o;
      for (let j = 0; j < o; j++) gb[j]! += d[off + j]!;
    }
    if (l > 0) {
      const dPrev = w.delta[l - 1]!;
      backend.gemm(B, k, o, d, weight.data, dPrev); // δ_prev = δ · W
      derivInPlace(mlp.activations[l - 1]!, w.act[l - 1]!, w.pre[l - 1] ?? null, dPrev, B * k);
    }
  }
  return r;
}

/**
 * Trains `mlp` in place on x [n, in] and integer labels, mini-batch by mini-batch, and returns the
 * per-epoch training loss and accuracy.
 */
export function train(mlp: MLP, x: Tensor, labels: ArrayLike<number>, opts: TrainOptions = {}): TrainResult {
  const epochs = opts.epochs ?? 1;
  const batchSize = opts.batchSize ?? 128;
  const optName = opts.optimizer ?? 'adam';
  if (!Number.isInteger(epochs) || epochs < 0) throw expected('a non-negative integer', 'epochs', epochs);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw expected('a positive integer', 'batchSize', batchSize);
  if (optName !== 'adam' && optName !== 'sgd') throw expected("'adam' or 'sgd'", 'optimizer', optName);
  const xs = mlp.checkInput(x); // shape and NaN checks
  const n = xs.rows;
  if (labels.length !== n) throw new ShapeError(`${n} inputs but ${labels.length} labels`);
  const classes = mlp.outputSize;
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    if (!(Number.isInteger(y) && y >= 0 && y < classes)) throw new DataError(`Label ${i} is ${y} but the model has ${classes} classes (labels must be integers in [0, ${classes}))`);
  }
  const sizes = mlp.layers.flatMap((l) => [l.weight.size, l.bias.length]);
  const optimizer: Optimizer =
    optName === 'adam'
      ? new Adam(sizes, { lr: opts.lr ?? 1e-3, weightDecay: opts.weightDecay ?? 0 })
      : new Sgd(sizes, { lr: opts.lr ?? 1e-2, momentum: opts.momentum ?? 0.9, weightDecay: opts.weightDecay ?? 0 });
  // Adam keeps parameters and gradients in its own (WebAssembly) memory so its update is one SIMD
  // pass: train on those views and copy the result back into the model's arrays at the end.
  const saved = mlp.layers.map((l) => ({ weight: l.weight, bias: l.bias }));
  let params: Float32Array[];
  let grads: Float32Array[];
  if (optimizer instanceof Adam) {
    params = optimizer.paramViews;
    grads = optimizer.gradViews;
    mlp.layers.forEach((l, i) => {
      params[2 * i]!.set(l.weight.data);
      params[2 * i + 1]!.set(l.bias);
      l.weight = new Tensor(params[2 * i]!, l.weight.shape);
      l.bias = params[2 * i + 1]!;
    });
  } else {
    params = mlp.layers.flatMap((l) => [l.weight.data, l.bias]);
    grads = sizes.map((n) => new Float32Array(n));
  }
  const gW = grads.filter((_, i) => i % 2 === 0);
  const gB = grads.filter((_, i) => i % 2 === 1);

  const backend = getBackend();
  const full = makeWork(mlp, Math.min(batchSize, Math.max(n, 1)));
  const tail = n % batchSize && n > batchSize ? makeWork(mlp, n % batchSize) : null;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const rng = new Rng(opts.seed ?? 0);
  const shuffle = opts.shuffle ?? true;
  const batches = Math.ceil(n / batchSize);
  const every = opts.progressEvery ?? 0;
  const features = mlp.inputSize;
  const bar = opts.progress && process.stderr.isTTY ? new SingleBar({ format: 'train |{bar}| epoch {epoch}/{epochs} {value}/{total} batches, loss {loss}, {eta_formatted} left', hideCursor: true, stream: process.stderr }) : null;
  const result: TrainResult = { epochs: [], seconds: 0, loss: NaN, accuracy: NaN };
  const t0 = performance.now();
  try {
    for (let e = 1; e <= epochs; e++) {
      const te = performance.now();
      if (shuffle) rng.shuffle(order);
      bar?.start(batches, 0, { epoch: e, epochs, loss: '-' });
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      for (let b = 0; b < batches; b++) {
        const s = b * batchSize;
        const rows = Math.min(batchSize, n - s);
        const w = rows === full.rows ? full : tail!;
        for (let i = 0; i < rows; i++) {
          const r = order[s + i]!;
          w.x.set(xs.data.subarray(r * features, r * features + features), i * features);
          w.y[i] = labels[r]!;
        }
        const r = step(mlp, backend, w, gW, gB);
        optimizer.step(params, grads);
        lossSum += r.lossSum;
        correct += r.correct;
        seen += rows;
        if (!Number.isFinite(lossSum)) throw new DataError(`Training diverged: the loss became ${lossSum} in epoch ${e}, batch ${b + 1} (try a smaller lr)`);
        bar?.update(b + 1, { loss: (lossSum / seen).toFixed(4) });
        if (every && (b + 1) % every === 0 && b + 1 < batches) {
          opts.onProgress?.({ epoch: e, epochs, batch: b + 1, batches, loss: lossSum / seen, accuracy: correct / seen, seconds: (performance.now() - te) / 1000, done: false });
        }
      }
      bar?.stop();
      const rec = { epoch: e, loss: seen ? lossSum / seen : 0, accuracy: seen ? correct / seen : 0, seconds: (performance.now() - te) / 1000 };
      result.epochs.push(rec);
      opts.onProgress?.({ epoch: e, epochs, batch: batches, batches, loss: rec.loss, accuracy: rec.accuracy, seconds: rec.seconds, done: true });
    }
  } finally {
    bar?.stop();
    mlp.layers.forEach((l, i) => {
      const orig = saved[i]!;
      if (l.weight !== orig.weight) {
        orig.weight.data.set(l.weight.data);
        orig.bias.set(l.bias);
        l.weight = orig.weight;
        l.bias = orig.bias;
      }
    });
  }
  result.seconds = (performance.now() - t0) / 1000;
  ({ loss: result.loss, accuracy: result.accuracy } = mlp.evaluate(xs, labels));
  return result;
}
