import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError, ArgumentError } from '../src/errors.js';
import { loadDataset } from '../src/io/datasets.js';
import { readNpy, readNpyTensor } from '../src/io/npy.js';
import { softmaxCrossEntropy } from '../src/nn/loss.js';
import { Adam } from '../src/nn/optim.js';
import { MLP } from '../src/nn/mlp.js';
import { train } from '../src/nn/train.js';
import { Tensor } from '../src/tensor.js';

const fx = join(__dirname, 'fixtures', 'nn');
const mini = loadDataset('mini', { limit: 1000 });

describe('softmax cross-entropy', () => {
  it('matches the formula and its gradient sums to zero per row', () => {
    const logits = new Float32Array([1, 2, 3, 0, 0, 0]);
    const grad = new Float32Array(6);
    const r = softmaxCrossEntropy(logits, [2, 0], 2, 3, grad, 0.5);
    const want = -Math.log(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3))) + Math.log(3);
    expect(r.lossSum).toBeCloseTo(want, 6);
    expect(r.correct).toBe(2); // row 2 is a tie: argmax takes the first index, 0 (its label)
    expect(grad[0]! + grad[1]! + grad[2]!).toBeCloseTo(0, 7);
    expect(grad[3]).toBeCloseTo(0.5 * (1 / 3 - 1), 7);
  });
});

describe('Adam', () => {
  it('the WebAssembly SIMD kernel equals the plain loop (odd lengths, weight decay)', () => {
    const sizes = [7, 1, 13];
    const simd = new Adam(sizes, { lr: 1e-2, weightDecay: 0.1 });
    const plain = new Adam(sizes, { lr: 1e-2, weightDecay: 0.1, plain: true });
    expect(simd.simd).toBe(true);
    expect(plain.simd).toBe(false);
    const rng = Tensor.randn([21], 9).data;
    sizes.reduce((off, n, k) => {
      simd.paramViews[k]!.set(rng.subarray(off, off + n));
      plain.paramViews[k]!.set(rng.subarray(off, off + n));
      return off + n;
    }, 0);
    for (let t = 0; t < 4; t++) {
      sizes.forEach((n, k) => {
        const g = Tensor.randn([n], 100 * t + k).data;
        simd.gradViews[k]!.set(g);
        plain.gradViews[k]!.set(g);
      });
      simd.step(simd.paramViews, simd.gradViews);
      plain.step(plain.paramViews, plain.gradViews);
    }
    sizes.forEach((n, k) => simd.paramViews[k]!.forEach((v, i) => expect(Math.abs(v - plain.paramViews[k]![i]!)).toBeLessThan(1e-6)));
  });
});

describe('train', () => {
  for (const name of ['adam_relu', 'sgd_tanh']) {
    it(`lands on PyTorch's weights after 5 full-batch steps (${name.replace('_', ', ')}, weight decay)`, () => {
      const x = readNpyTensor(join(fx, 'steps_x.npy'));
      const y = readNpy(join(fx, 'steps_y.npy')).data as Int32Array;
      const m = MLP.fromSafetensors(join(fx, `steps_${name}_init.safetensors`));
      const want = MLP.fromSafetensors(join(fx, `steps_${name}_final.safetensors`));
      const adam = name.startsWith('adam');
      train(m, x, y, { epochs: 5, batchSize: 16, shuffle: false, optimizer: adam ? 'adam' : 'sgd', lr: adam ? 1e-2 : 1e-1, momentum: 0.9, weightDecay: 1e-2 });
      m.layers.forEach((l, i) => {
        const w = want.layers[i]!;
        l.weight.data.forEach((v, j) => expect(Math.abs(v - w.weight.data[j]!)).toBeLessThan(2e-5));
        l.bias.forEach((v, j) => expect(Math.abs(v - w.bias[j]!)).toBeLessThan(2e-5));
      });
      const losses = JSON.parse(readFileSync(join(fx, 'torch_small.json'), 'utf8'))[`steps_${name}`].losses as number[];
      expect(losses[4]!).toBeLessThan(losses[0]!);
    });
  }

  it('reduces the loss on the mini data and is deterministic for a seed', () => {
    const run = (seed: number) => {
      const m = MLP.create({ sizes: [784, 32, 10], seed: 1 });
      const before = m.evaluate(mini.test.x, mini.test.labels);
      const w0 = m.layers[0]!.weight;
      const copy = w0.data.slice();
      const r = train(m, mini.train.x, mini.train.labels, { epochs: 2, batchSize: 64, seed });
      expect(m.layers[0]!.weight).toBe(w0); // trained in place: the model keeps its own arrays
      expect(w0.data).not.toEqual(copy);
      return { m, before, r, after: m.evaluate(mini.test.x, mini.test.labels) };
    };
    const a = run(7);
    expect(a.r.epochs).toHaveLength(2);
    expect(a.r.epochs[1]!.loss).toBeLessThan(a.r.epochs[0]!.loss);
    expect(a.after.loss).toBeLessThan(a.before.loss * 0.7);
    expect(a.after.accuracy).toBeGreaterThan(0.55);
    const b = run(7);
    expect(b.m.layers[0]!.weight.data).toEqual(a.m.layers[0]!.weight.data);
    const c = run(8);
    expect(c.m.layers[0]!.weight.data).not.toEqual(a.m.layers[0]!.weight.data);
  });

  it('trains every activation and handles a last partial batch', () => {
    for (const activation of ['relu', 'leaky_relu', 'gelu', 'tanh', 'sigmoid'] as const) {
      const m = MLP.create({ sizes: [784, 16, 10], activation, seed: 2 });
      const before = m.evaluate(mini.train.x.sliceRows(0, 300), mini.train.labels.subarray(0, 300)).loss;
      const r = train(m, mini.train.x.sliceRows(0, 300), mini.train.labels.subarray(0, 300), { epochs: 3, batchSize: 128, lr: 3e-3 });
      expect(r.epochs[2]!.loss, activation).toBeLessThan(before);
    }
  });

  it('reports progress and rejects bad input', () => {
    const m = MLP.create({ sizes: [784, 8, 10], seed: 2 });
    const seen: number[] = [];
    train(m, mini.train.x.sliceRows(0, 256), mini.train.labels.subarray(0, 256), {
      epochs: 2,
      batchSize: 64,
      progressEvery: 2,
      onProgress: (p) => seen.push(p.done ? -p.epoch : p.batch),
    });
    expect(seen).toEqual([2, -1, 2, -2]);
    const bad = Tensor.zeros([2, 784]);
    bad.data[3] = NaN;
    expect(() => train(m, bad, [0, 1])).toThrow(DataError);
    expect(() => train(m, Tensor.zeros([2, 784]), [0, 10])).toThrow(/Label 1 is 10/);
    expect(() => train(m, Tensor.zeros([2, 784]), [0, 1], { batchSize: 0 })).toThrow(ArgumentError);
    expect(() => train(m, Tensor.zeros([2, 784]), [0, 1], { lr: -1 })).toThrow(ArgumentError);
  });
});
