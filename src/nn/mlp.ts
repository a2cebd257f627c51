// MLP: a stack of Linear + activation, with a final Linear (logits), as micrograd keeps it:
// small enough to read in one sitting. Weights are [out_features, in_features] as in PyTorch.

import type { Activation } from '../backend/types.js';
import { ArgumentError, ShapeError, expected } from '../errors.js';
import { linear } from '../ops.js';
import { Rng } from '../rng.js';
import { Tensor, shapeStr } from '../tensor.js';

export interface Linear {
  weight: Tensor; // [out, in]
  bias: Float32Array; // [out]
}

export interface MLPOptions {
  sizes: number[]; // [in, hidden..., out]
  activation?: Activation;
  leakySlope?: number;
  seed?: number;
}

export class MLP {
  readonly layers: Linear[];
  readonly activation: Activation;
  readonly leakySlope: number;

  constructor(layers: Linear[], activation: Activation = 'relu', leakySlope = 0.01) {
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
    this.activation = activation;
    this.leakySlope = leakySlope;
  }

  /** PyTorch's default nn.Linear init: weight and bias uniform(±1/√fan_in), seeded. */
  static create(opts: MLPOptions): MLP {
    const { sizes, activation = 'relu', leakySlope = 0.01, seed = 0 } = opts;
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

  checkInput(x: Tensor): Tensor {
    const x2 = x.rank === 1 ? x.reshape([1, x.size]) : x;
    x2.assertRank(2, 'MLP input');
    if (x2.cols !== this.inputSize) {
      throw new ShapeError(`MLP input has ${x2.cols} features (shape ${shapeStr(x.shape)}) but the model expects ${this.inputSize}`);
    }
    return x2;
  }

  /** Logits for a batch [batch, in] -> [batch, out]: one fused GEMM+bias+activation per layer. */
  forward(x: Tensor): Tensor {
    let h = this.checkInput(x);
    this.layers.forEach((l, i) => {
      const last = i === this.layers.length - 1;
      h = linear(h, l.weight, l.bias, last ? 'identity' : this.activation, undefined, this.leakySlope);
    });
    return h;
  }

  /** Class index (argmax of the logits) per row. */
  predict(x: Tensor): Int32Array {
    return argmaxRows(this.forward(x));
  }

  /** Accuracy and mean softmax cross-entropy against integer labels. */
  evaluate(x: Tensor, labels: ArrayLike<number>, batchSize = 1024): { accuracy: number; loss: number } {
    const xs = this.checkInput(x);
    if (labels.length !== xs.rows) throw new ShapeError(`${xs.rows} inputs but ${labels.length} labels`);
    let correct = 0;
    let loss = 0;
    for (let s = 0; s < xs.rows; s += batchSize) {
      const logits = this.forward(xs.sliceRows(s, s + batchSize));
      const n = logits.cols;
      for (let i = 0; i < logits.rows; i++) {
        const row = logits.data.subarray(i * n, i * n + n);
        const y = labels[s + i]!;
        let max = -Infinity;
        let arg = 0;
        for (let j = 0; j < n; j++) if (row[j]! > max) ((max = row[j]!), (arg = j));
        let z = 0;
        for (let j = 0; j < n; j++) z += Math.exp(row[j]! - max);
        loss += Math.log(z) + max - row[y]!;
        if (arg === y) correct++;
      }
    }
    const count = xs.rows;
    return { accuracy: count ? correct / count : 0, loss: count ? loss / count : 0 };
  }

  /** Deep copy. */
  clone(): MLP {
    return new MLP(
      this.layers.map((l) => ({ weight: l.weight.clone(), bias: l.bias.slice() })),
      this.activation,
      this.leakySlope,
    );
  }
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
