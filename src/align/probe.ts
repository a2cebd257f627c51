// A linear probe: softmax regression on fixed embeddings, trained with minibatch Adam on the
// backend GEMM, to measure how much class information an embedding carries (downstream accuracy
// of A, B and [A, B]). Features are standardised with the training set's statistics first.
//
//   P = softmax(Xs·W + b)      loss = mean cross-entropy + ½·l2·||W||²
//   ∂W = Xsᵀ·(P − onehot(y))/batch + l2·W     ∂b = column sums of (P − onehot)/batch
//
// (The `nn` helper's trainer trains MLPs; this probe is a single layer and keeps its own loop.)

import { getBackend } from '../backend/registry.js';
import { ShapeError, expected } from '../errors.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { checkMatrix } from './input.js';

export interface ProbeOptions {
  epochs?: number; // default 20, or more on small sets so that there are at least 1,000 Adam steps
  batchSize?: number; // default 256
  lr?: number; // Adam step, default 1e-3
  l2?: number; // weight decay, default 1e-4
  seed?: number; // shuffling, default 0
  classes?: number; // default max label + 1
}

export interface Probe {
  W: Tensor; // d×classes (on standardised features)
  b: Float32Array;
  predict(X: Tensor): Int32Array;
  accuracy(X: Tensor, labels: ArrayLike<number>): number;
}

export function trainProbe(X: Tensor, labels: ArrayLike<number>, opts: ProbeOptions = {}): Probe {
  const [n, d] = checkMatrix(X, 'probe X');
  if (labels.length !== n) throw new ShapeError(`probe: ${n} rows of X but ${labels.length} labels`);
  let maxLabel = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y) || y < 0) throw expected('non-negative integer labels', `probe labels[${i}]`, y);
    maxLabel = Math.max(maxLabel, y);
  }
  const c = opts.classes ?? maxLabel + 1;
  if (!Number.isInteger(c) || c <= maxLabel) throw expected(`an integer > ${maxLabel} (the largest label)`, 'probe classes', c);
  const batch = Math.min(n, opts.batchSize ?? 256);
  const epochs = opts.epochs ?? Math.max(20, Math.ceil(1000 / Math.ceil(n / batch)));
  const lr = opts.lr ?? 1e-3;
  const l2 = opts.l2 ?? 1e-4;
  const rng = new Rng(opts.seed ?? 0);

  const mean = X.colMeans();
  const inv = new Float32Array(d);
  {
    const v = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) v[j]! += (X.data[i * d + j]! - mean[j]!) ** 2;
    for (let j = 0; j < d; j++) {
      const sd = Math.sqrt(v[j]! / n);
      inv[j] = sd > 1e-12 ? 1 / sd : 0;
    }
  }
  const standardise = (x: Tensor): Float32Array => {
    const out = new Float32Array(x.size);
    for (let i = 0; i < x.data.length; i++) out[i] = (x.data[i]! - mean[i % d]!) * inv[i % d]!;
    return out;
  };
  const xs = standardise(X);

  const W = new Float32Array(d * c);
  const b = new Float32Array(c);
  const mW = new Float32Array(d * c);
  const vW = new Float32Array(d * c);
  const mb = new Float32Array(c);
  const vb = new Float32Array(c);
  const gW = new Float32Array(d * c);
  const gb = new Float32Array(c);
  const xb = new Float32Array(batch * d);
  const logits = new Float32Array(batch * c);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const be = getBackend();
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  let step = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    rng.shuffle(order);
    for (let s = 0; s < n; s += batch) {
      const m = Math.min(batch, n - s);
      for (let i = 0; i < m; i++) xb.set(xs.subarray(order[s + i]! * d, order[s + i]! * d + d), i * d);
      const xv = xb.subarray(0, m * d);
      const lg = logits.subarray(0, m * c);
      be.gemm(m, c, d, xv, W, lg, { bias: b });
      gb.fill(0);
      for (let i = 0; i < m; i++) {
        const row = i * c;
        let max = -Infinity;
        for (let j = 0; j < c; j++) max = Math.max(max, lg[row + j]!);
        let z = 0;
        for (let j = 0; j < c; j++) z += (lg[row + j] = Math.exp(lg[row + j]! - max));
        for (let j = 0; j < c; j++) lg[row + j] = lg[row + j]! / z / m;
        lg[row + labels[order[s + i]!]!]! -= 1 / m;
        for (let j = 0; j < c; j++) gb[j]! += lg[row + j]!;
      }
      be.gemm(d, c, m, xv, lg, gW, { transA: true });
      step++;
      const c1 = 1 - b1 ** step;
      const c2 = 1 - b2 ** step;
      for (let i = 0; i < W.length; i++) {
        const g = gW[i]! + l2 * W[i]!;
        mW[i] = b1 * mW[i]! + (1 - b1) * g;
        vW[i] = b2 * vW[i]! + (1 - b2) * g * g;
        W[i]! -= (lr * (mW[i]! / c1)) / (Math.sqrt(vW[i]! / c2) + eps);
      }
      for (let j = 0; j < c; j++) {
        const g = gb[j]!;
        mb[j] = b1 * mb[j]! + (1 - b1) * g;
        vb[j] = b2 * vb[j]! + (1 - b2) * g * g;
        b[j]! -= (lr * (mb[j]! / c1)) / (Math.sqrt(vb[j]! / c2) + eps);
      }
    }
  }
  const predict = (x: Tensor): Int32Array => {
    checkMatrix(x, 'probe input', { allowEmpty: true });
    if (x.cols !== d) throw expected(`a matrix with ${d} columns`, 'probe input', `shape [${x.shape.join(', ')}]`);
    const out = new Float32Array(x.rows * c);
    be.gemm(x.rows, c, d, standardise(x), W, out, { bias: b });
    const pred = new Int32Array(x.rows);
    for (let i = 0; i < x.rows; i++) {
      let best = -Infinity;
      for (let j = 0; j < c; j++) if (out[i * c + j]! > best) ((best = out[i * c + j]!), (pred[i] = j));
    }
    return pred;
  };
  return {
    W: new Tensor(W, [d, c]),
    b,
    predict,
    accuracy(x: Tensor, ys: ArrayLike<number>): number {
      if (ys.length !== x.rows) throw new ShapeError(`probe: ${x.rows} rows but ${ys.length} labels`);
      const p = predict(x);
      let ok = 0;
      for (let i = 0; i < p.length; i++) if (p[i] === ys[i]) ok++;
      return p.length ? ok / p.length : 0;
    },
  };
}
