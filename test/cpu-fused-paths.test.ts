// The CPU backend's fused paths, against the plain ones they stand in for:
// - MLP.forwardOne on the cpu backend runs every layer in one native call (kernels/cpu/
//   mlp_forward.h). Its dot products and epilogue are the m = 1 GEMM's, so it must equal
//   the layer-by-layer forward on that one row bit for bit, on every ISA, threaded or not.
// - MLP.forward runs every layer in one native call too, rows cut into chunks that threads take
//   whole (one GEMM per layer per chunk): it must equal the layer-by-layer forward (one GEMM
//   per layer over all rows) bit for bit, for any row count and thread count.
// - gemm AᵀB with a small C and a long k is cut into fixed k slices (kernels/cpu/gemm_ksplit.cpp):
//   it must agree with the js reference within the GEMM tolerance, and give the same bits for any
//   thread count (the slices depend on k only).
import { afterEach, describe, expect, it } from 'vitest';
import { loadAddon } from '../src/backend/addon.js';
import { gemmJs } from '../src/backend/js.js';
import { getBackend, setBackend } from '../src/backend/registry.js';
import type { GemmOptions } from '../src/backend/types.js';
import { DataError } from '../src/errors.js';
import { forwardRows } from '../src/nn/forward.js';
import { MLP } from '../src/nn/mlp.js';
import { Tensor } from '../src/tensor.js';
import { rand } from './helpers/random.js';
import { firstMismatch, gemmTolerance } from './helpers/tolerance.mjs';

const { addon } = loadAddon();
const onCpu = addon !== null && getBackend().name === 'cpu';


/** The layer-by-layer forward on one row: the m = 1 GEMM per layer that forwardOne must reproduce exactly. */
const oneRow = (m: MLP, x: Float32Array) => forwardRows(m, x, 1);

describe.runIf(onCpu)('forwardOne: one native call for the whole net', () => {
  afterEach(() => addon!.setThreads(0));

  it('equals forward on the same row, bit for bit, one thread and several, odd widths and activations', () => {
    const nets = [
      MLP.create({ sizes: [7, 1, 127, 3], activation: ['gelu', 'tanh'], seed: 1 }),
      MLP.create({ sizes: [129, 1000, 7], activation: 'sigmoid', seed: 2 }),
      // 10 MB of weights: past 3/4 of any L2, so the threaded path runs (with 2 or 3 threads).
      MLP.create({ sizes: [2048, 1000, 129, 10], activation: [{ name: 'leaky_relu', slope: 0.2 }, 'relu'], seed: 3 }),
    ];
    for (const threads of [1, 2, 3]) {
      addon!.setThreads(threads);
      for (const m of nets) {
        // Back to back, so that after the first calls the pool's workers are spinning and join
        // (forwardOne only uses workers that already spin).
        const xs = Array.from({ length: 5 }, (_, s) => rand(m.inputSize, 10 + s).map((v) => 2 * v));
        const want = xs.map((x) => Array.from(oneRow(m, x)));
        for (let rep = 0; rep < 20; rep++) {
          const s = rep % 5;
          expect(Array.from(m.forwardOne(xs[s]!)), `${m.layerSizes().join('-')}, ${threads} threads`).toEqual(want[s]);
        }
      }
    }
  });

  it('runs nets deeper than its layer table (40 layers) on one thread', () => {
    const m = MLP.create({ sizes: [33, ...new Array<number>(39).fill(65), 5], seed: 4 });
    const x = rand(33, 5);
    expect(Array.from(m.forwardOne(x))).toEqual(Array.from(oneRow(m, x)));
  });

  it('follows the model: weights changed in place, a replaced bias or layer, another backend', () => {
    const m = MLP.create({ sizes: [20, 16, 4], seed: 6 });
    const x = rand(20, 7);
    const before = Array.from(m.forwardOne(x));
    m.layers[1]!.weight.data[3] = 5; // in place: the plan reads the model's own arrays
    const inPlace = Array.from(m.forwardOne(x));
    expect(inPlace).not.toEqual(before);
    expect(inPlace).toEqual(Array.from(oneRow(m, x)));
    m.layers[1]!.bias = new Float32Array(4).fill(100); // replaced: a new plan
    expect(Array.from(m.forwardOne(x))).toEqual(Array.from(oneRow(m, x)));
    const l0 = m.layers[0]!;
    m.layers[0] = { weight: new Tensor(l0.weight.data.map((v) => -v), l0.weight.shape), bias: l0.bias };
    expect(Array.from(m.forwardOne(x))).toEqual(Array.from(oneRow(m, x)));
    const cpu = Array.from(m.forwardOne(x));
    setBackend('js');
    try {
      const js = m.forwardOne(x);
      cpu.forEach((v, j) => expect(Math.abs(js[j]! - v)).toBeLessThan(1e-5 * (1 + Math.abs(v))));
    } finally {
      setBackend('cpu');
    }
  });

  it('rejects a non-finite input with its index, and leaves `out` untouched', () => {
    const m = MLP.create({ sizes: [6, 5, 3], seed: 8 });
    const out = new Float32Array([1, 2, 3]);
    const x = new Float32Array([0, 1, 2, 3, NaN, 5]);
    expect(() => m.forwardOne(x, out)).toThrow(DataError);
    expect(() => m.forwardOne(x, out)).toThrow(/NaN at index 4/);
    expect(Array.from(out)).toEqual([1, 2, 3]);
  });

  it('the addon refuses what it cannot run safely', () => {
    const a = addon!;
    const w = rand(12, 1), b = rand(3, 2);
    const plan = a.mlpPlan([w], [b], [4, 3], [0], [0.01], false);
    expect(a.mlpForwardOne(plan, new Float32Array(4), new Float32Array(3))).toBe(-1);
    expect(() => a.mlpForwardOne({ layers: 1 }, new Float32Array(4), new Float32Array(3))).toThrow(/Expected a plan made by mlpPlan/);
    expect(() => a.mlpPlan([w], [b], [5, 3], [0], [0.01], false)).toThrow(/weights\[0\] has 12 elements but the layer needs 15/);
    expect(() => a.mlpPlan([w], [b], [4, 3], [9], [0.01], false)).toThrow(/not an activation code/);
    expect(() => a.mlpPlan([w, w], [b], [4, 3, 3], [0, 0], [0.01, 0.01], false)).toThrow(/biases has 1 entries, expected 2/);
    const x = new Float32Array(8);
    expect(() => a.mlpForwardOne(plan, x.subarray(0, 4), x.subarray(2, 5))).toThrow(/out must not share memory with x/);
    const moved = new Float32Array(12);
    const plan2 = a.mlpPlan([moved], [b], [4, 3], [0], [0.01], false);
    structuredClone(moved.buffer, { transfer: [moved.buffer] }); // detaches the plan's weights
    expect(() => a.mlpForwardOne(plan2, new Float32Array(4), new Float32Array(3))).toThrow(/shrunk or been detached/);
    expect(() => a.mlpForwardOne(plan, new Float32Array(3), new Float32Array(3))).toThrow(/x has 3 elements but the call needs 4/);
  });
});

describe.runIf(onCpu)('forward: one native call for the whole net, rows shared by threads', () => {
  afterEach(() => addon!.setThreads(0));
  const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

  it('equals the layer-by-layer forward bit for bit, for any row count and thread count', () => {
    const nets = [
      MLP.create({ sizes: [7, 1, 127, 3], activation: ['gelu', 'tanh'], seed: 1 }),
      MLP.create({ sizes: [129, 1000, 7], activation: 'sigmoid', seed: 2 }),
      MLP.create({ sizes: [784, 151, 194, 10], seed: 3 }), // the 72 %-pruned reference's shape
      MLP.create({ sizes: [20, 3000, 3], activation: { name: 'leaky_relu', slope: 0.2 }, seed: 4 }), // chunks capped by hidden width
    ];
    for (const threads of [1, 2, 3]) {
      addon!.setThreads(threads);
      for (const m of nets) {
        for (const rows of [1, 4, 5, 9, 64, 127, 129, 1025]) {
          const x = rand(rows * m.inputSize, rows).map((v) => 2 * v);
          const got = m.forward(new Tensor(x, [rows, m.inputSize])).data;
          const want = forwardRows(m, x, rows);
          expect(bits(got).equals(bits(want)), `${m.layerSizes().join('-')}, ${rows} rows, ${threads} threads`).toBe(true);
        }
      }
    }
  });

  it('names the first non-finite input, whichever chunk and thread finds it', () => {
    const m = MLP.create({ sizes: [6, 5, 3], seed: 8 });
    for (const threads of [1, 2, 3]) {
      addon!.setThreads(threads);
      const x = rand(1000 * 6, 9);
      x[997 * 6 + 2] = Infinity; // in the last chunk
      expect(() => m.forward(new Tensor(x, [1000, 6]))).toThrow(/Infinity at row 997, column 2/);
      x[130 * 6 + 5] = NaN; // and in an earlier one: that one is named
      expect(() => m.forward(new Tensor(x, [1000, 6]))).toThrow(/NaN at row 130, column 5/);
    }
  });

  it('a finite input whose products overflow is no error: the same logits as the layer-by-layer forward', () => {
    // The rows path checks the input through layer 0's products; these overflow to ±Infinity
    // (1e30 · 1e10 > 3.4e38) with every input finite, so the input is scanned and passes.
    const m = MLP.create({ sizes: [8, 70, 3], seed: 11 });
    m.layers[0]!.weight.data.fill(1e10);
    for (const rows of [1, 300]) {
      const x = rand(rows * 8, 12);
      x[5] = 1e30;
      const got = m.forward(new Tensor(x, [rows, 8])).data;
      expect(bits(got).equals(bits(forwardRows(m, x, rows)))).toBe(true);
    }
  });

  it('follows weights changed in place, and runs zero rows', () => {
    const m = MLP.create({ sizes: [20, 16, 4], seed: 6 });
    const x = rand(300 * 20, 7);
    const before = m.forward(new Tensor(x, [300, 20])).data;
    m.layers[0]!.weight.data[5] = 3;
    const after = m.forward(new Tensor(x, [300, 20])).data;
    expect(bits(after).equals(bits(before))).toBe(false);
    expect(bits(after).equals(bits(forwardRows(m, x, 300)))).toBe(true);
    expect(m.forward(new Tensor(new Float32Array(0), [0, 20])).shape).toEqual([0, 4]);
  });

  it('the addon refuses what it cannot run safely', () => {
    const a = addon!;
    const w = rand(12, 1), b = rand(3, 2);
    const plan = a.mlpPlan([w], [b], [4, 3], [0], [0.01], false);
    expect(a.mlpForwardRows(plan, new Float32Array(8), 2, new Float32Array(6))).toBe(-1);
    expect(a.mlpForwardRows(plan, new Float32Array(0), 0, new Float32Array(0))).toBe(-1);
    expect(() => a.mlpForwardRows({ layers: 1 }, new Float32Array(8), 2, new Float32Array(6))).toThrow(/Expected a plan made by mlpPlan/);
    expect(() => a.mlpForwardRows(plan, new Float32Array(7), 2, new Float32Array(6))).toThrow(/x has 7 elements but the call needs 8/);
    expect(() => a.mlpForwardRows(plan, new Float32Array(8), 2, new Float32Array(5))).toThrow(/out has 5 elements but the call needs 6/);
    expect(() => a.mlpForwardRows(plan, new Float32Array(8), -1, new Float32Array(6))).toThrow(/rows/);
    expect(() => a.mlpForwardRows(plan, new Float32Array(8), 1.5, new Float32Array(6))).toThrow(/rows/);
    const x = new Float32Array(16);
    expect(() => a.mlpForwardRows(plan, x.subarray(0, 8), 2, x.subarray(4, 10))).toThrow(/out must not share memory with x/);
    expect(() => a.mlpForwardRows(plan, new Float32Array(4), 1, w)).toThrow(/out must not share memory with the model's weights/);
  });
});

describe('forward keeps its hidden buffers, never its results', () => {
  it('a second forward leaves the first one\'s logits alone, for any batch size', () => {
    const m = MLP.create({ sizes: [9, 33, 17, 4], seed: 9 });
    const x1 = new Tensor(rand(5 * 9, 1), [5, 9]);
    const x2 = new Tensor(rand(300 * 9, 2), [300, 9]);
    const first = m.forward(x1);
    const copy = Array.from(first.data);
    const big = m.forward(x2);
    expect(Array.from(first.data)).toEqual(copy);
    expect(Array.from(m.forward(x1).data)).toEqual(copy);
    expect(big.data.buffer).not.toBe(first.data.buffer);
  });
});

describe.runIf(onCpu)('gemm AᵀB over a long k (k slices)', () => {
  afterEach(() => addon!.setThreads(0));
  const cases: [number, number, number][] = [[7, 129, 2 * 8192 + 5], [1, 1, 40_000], [65, 64, 20_001], [31, 33, 40_003]];

  for (const [m, n, k] of cases) {
    it(`${m}×${n}×${k}: agrees with the reference, the same bits on 1, 2 and 3 threads`, () => {
      const a = rand(k * m, 1), b = rand(k * n, 2), c0 = rand(m * n, 3);
      const optsList: GemmOptions[] = [{ transA: true }, { transA: true, alpha: 0.5, beta: -1.5 }, { transA: true, bias: rand(n, 4), activation: 'relu' }];
      for (const opts of optsList) {
        const ref = c0.slice();
        gemmJs(m, n, k, a, b, ref, opts);
        const outs = [1, 2, 3].map((threads) => {
          addon!.setThreads(threads);
          const c = c0.slice();
          getBackend().gemm(m, n, k, a, b, c, opts);
          return c;
        });
        const bad = firstMismatch(outs[0]!, ref, gemmTolerance(k), JSON.stringify({ ...opts, bias: !!opts.bias }));
        if (bad) throw new Error(bad);
        expect(outs[1]).toEqual(outs[0]);
        expect(outs[2]).toEqual(outs[0]);
      }
    });
  }
});
