// FrozenMLP (mlp.freeze()): a private copy of a model for serving, whose weights the cpu backend
// packs once into its GEMM panels (kernels/cpu/gemm_impl.h pack_weights, gemv_packed).
// - Same kernels, weights packed ahead: on the cpu backend its forward on more than 4 rows is
//   bitwise the MLP's (whose paths are all held to the js reference elsewhere), and forwardOne,
//   and forward on 1–4 rows, give bitwise the row the batch forward gives (the single-sample path
//   does the batch tile's FMAs in its order), on every ISA, threaded or not.
// - A copy: nothing done to the MLP after freeze() reaches it.
// - On any backend, it agrees with the MLP within the GEMM tolerance.
import { afterEach, describe, expect, it } from 'vitest';
import { loadAddon } from '../src/backend/addon.js';
import { getBackend, setBackend } from '../src/backend/registry.js';
import { DataError, ShapeError } from '../src/errors.js';
import { FrozenMLP, MLP, Tensor } from '../src/index.js';
import { rand } from './helpers/random.js';
import { firstMismatch, gemmTolerance } from './helpers/tolerance.mjs';

const { addon } = loadAddon();
const onCpu = addon !== null && getBackend().name === 'cpu';
const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const widest = (m: MLP) => Math.max(...m.layerSizes());

const nets = () => [
  MLP.create({ sizes: [7, 1, 127, 3], activation: ['gelu', 'tanh'], seed: 1 }),
  MLP.create({ sizes: [129, 1000, 7], activation: 'sigmoid', seed: 2 }),
  MLP.create({ sizes: [784, 151, 194, 10], seed: 3 }), // the 72 %-pruned reference's shape
  MLP.create({ sizes: [1, 1], seed: 4 }),
  MLP.create({ sizes: [33, ...new Array<number>(39).fill(65), 5], activation: 'tanh', seed: 5 }), // deeper than the layer table
  // 10 MB of weights: past 3/4 of any L2, so the threaded single-sample path runs; k = 2048 and
  // 1000 split into several k blocks.
  MLP.create({ sizes: [2048, 1000, 129, 10], activation: [{ name: 'leaky_relu', slope: 0.2 }, 'relu'], seed: 6 }),
];

describe.runIf(onCpu)('FrozenMLP on the cpu backend: packed weights, the same bits', () => {
  afterEach(() => addon!.setThreads(0));

  it('forward equals the MLP bit for bit; forwardOne and 1–4 rows equal their row of it', () => {
    for (const threads of [1, 2, 3]) {
      addon!.setThreads(threads);
      for (const m of nets()) {
        const f = m.freeze();
        const label = `${m.layerSizes().join('-')}, ${threads} threads`;
        for (const rows of [5, 9, 127, 129, 1025]) {
          const x = rand(rows * m.inputSize, rows).map((v) => 2 * v);
          expect(bits(f.forward(new Tensor(x, [rows, m.inputSize])).data).equals(bits(m.forward(new Tensor(x, [rows, m.inputSize])).data)), `${label}, ${rows} rows`).toBe(true);
        }
        const x = rand(9 * m.inputSize, 77).map((v) => 2 * v);
        const all = f.forward(new Tensor(x, [9, m.inputSize])).data;
        const row = (i: number) => all.subarray(i * m.outputSize, (i + 1) * m.outputSize);
        // Back to back, so that the pool's workers spin and join the threaded path.
        for (let rep = 0; rep < 3; rep++)
          for (let i = 0; i < 9; i++) expect(bits(f.forwardOne(x.subarray(i * m.inputSize, (i + 1) * m.inputSize))).equals(bits(row(i))), `${label}, forwardOne row ${i}`).toBe(true);
        for (const rows of [1, 2, 4]) {
          const got = f.forward(new Tensor(x.slice(0, rows * m.inputSize), [rows, m.inputSize])).data;
          expect(bits(got).equals(bits(all.subarray(0, rows * m.outputSize))), `${label}, ${rows} rows`).toBe(true);
        }
      }
    }
  });

  it('the addon checks its frozen flag and owns its copy', () => {
    const a = addon!;
    const w = rand(12, 1), b = rand(3, 2), x = rand(4, 3);
    expect(() => a.mlpPlan([w], [b], [4, 3], [0], [0.01], 1 as unknown as boolean)).toThrow(/frozen/);
    const plan = a.mlpPlan([w], [b], [4, 3], [0], [0.01], true);
    const before = new Float32Array(3);
    a.mlpForwardOne(plan, x, before);
    w.fill(7);
    b.fill(-1);
    structuredClone(w.buffer, { transfer: [w.buffer] }); // detached: a frozen plan never reads it again
    const after = new Float32Array(3);
    expect(a.mlpForwardOne(plan, x, after)).toBe(-1);
    expect(Array.from(after)).toEqual(Array.from(before));
    const rows = new Float32Array(6);
    expect(a.mlpForwardRows(plan, new Float32Array([...x, ...x]), 2, rows)).toBe(-1);
    expect(Array.from(rows.subarray(0, 3))).toEqual(Array.from(before));
  });
});

describe('FrozenMLP: a copy for serving, on any backend', () => {
  it('agrees with the MLP within the GEMM tolerance, and predicts and evaluates as it does', async () => {
    for (const m of nets().slice(0, 4)) {
      const f = m.freeze();
      expect(f).toBeInstanceOf(FrozenMLP);
      expect([f.inputSize, f.outputSize, f.paramCount()]).toEqual([m.inputSize, m.outputSize, m.paramCount()]);
      expect(f.layerSizes()).toEqual(m.layerSizes());
      const x = rand(20 * m.inputSize, 8);
      const X = new Tensor(x, [20, m.inputSize]);
      const tol = gemmTolerance(widest(m));
      expect(firstMismatch(f.forward(X).data, m.forward(X).data, tol, 'forward')).toBeNull();
      const one = f.forwardOne(x.subarray(0, m.inputSize));
      expect(firstMismatch(one, m.forward(X).data.subarray(0, m.outputSize), tol, 'forwardOne')).toBeNull();
      expect(firstMismatch((await f.forwardAsync(X)).data, m.forward(X).data, tol, 'forwardAsync')).toBeNull();
      const labels = Array.from(m.predict(X));
      expect(Array.from(f.predict(X))).toEqual(labels);
      expect(f.predictOne(x.subarray(0, m.inputSize))).toBe(labels[0]);
      const e = f.evaluate(X, labels, 7), want = m.evaluate(X, labels, 7);
      expect(e.accuracy).toBe(want.accuracy);
      expect(Math.abs(e.loss - want.loss)).toBeLessThanOrEqual(tol * (1 + want.loss));
    }
  });

  it('is what the model was when frozen: later changes to it do not reach it', () => {
    const m = MLP.create({ sizes: [20, 16, 4], seed: 6 });
    const x = rand(20, 7);
    const f = m.freeze();
    const before = Array.from(f.forwardOne(x));
    m.layers[0]!.weight.data.fill(3); // in place
    m.layers[1]!.bias = new Float32Array(4).fill(100); // replaced
    expect(Array.from(f.forwardOne(x))).toEqual(before);
    expect(Array.from(f.forward(new Tensor(x, [1, 20])).data)).toEqual(before);
    const copy = f.toMLP(); // a copy too: editing it changes nothing frozen
    expect(Array.from(copy.freeze().forwardOne(x))).toEqual(before);
    copy.layers[0]!.weight.data.fill(-1);
    expect(Array.from(f.forwardOne(x))).toEqual(before);
    expect(Array.from(m.freeze().forwardOne(x))).not.toEqual(before); // freezing again takes the changes
  });

  it('rejects bad input as the MLP does', () => {
    const f = MLP.create({ sizes: [6, 5, 3], seed: 8 }).freeze();
    const out = new Float32Array([1, 2, 3]);
    expect(() => f.forwardOne(new Float32Array([0, 1, 2, 3, NaN, 5]), out)).toThrow(DataError);
    expect(() => f.forwardOne(new Float32Array([0, 1, 2, 3, NaN, 5]), out)).toThrow(/NaN at index 4/);
    expect(Array.from(out)).toEqual([1, 2, 3]);
    expect(() => f.forwardOne(new Float32Array(5))).toThrow(/6 features/);
    const x = rand(300 * 6, 9);
    x[297 * 6 + 2] = Infinity;
    expect(() => f.forward(new Tensor(x, [300, 6]))).toThrow(/Infinity at row 297, column 2/);
    expect(() => f.forward(new Tensor(new Float32Array(10), [2, 5]))).toThrow(ShapeError);
    expect(f.forward(new Tensor(new Float32Array(0), [0, 6])).shape).toEqual([0, 3]);
  });

  it.runIf(onCpu)('keeps working when the backend changes under it', () => {
    const m = MLP.create({ sizes: [30, 40, 5], seed: 12 });
    const f = m.freeze();
    const x = rand(30, 13);
    const cpu = Array.from(f.forwardOne(x));
    setBackend('js');
    try {
      expect(firstMismatch(f.forwardOne(x), Float32Array.from(cpu), gemmTolerance(40), 'js')).toBeNull();
    } finally {
      setBackend('cpu');
    }
    expect(Array.from(f.forwardOne(x))).toEqual(cpu);
  });
});
