// Every available backend against the js reference on awkward shapes (ggml's test-backend-ops
// idea: one harness, every op × every backend, one normalised error).
import { describe, expect, it } from 'vitest';
import { availableBackends, tryBackend } from '../src/backend/registry.js';
import { gemmJs, colStatsJs } from '../src/backend/js.js';
import { ACTIVATIONS, newColStats, type Activation, type Backend, type GemmOptions } from '../src/backend/types.js';
import { Rng } from '../src/rng.js';

const others = availableBackends()
  .filter((b) => b.available && b.name !== 'js')
  .map((b) => tryBackend(b.name)!) as Backend[];

function rand(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r.uniform(-1, 1);
  return a;
}

const shapes: [number, number, number][] = [
  [1, 1, 1], [7, 7, 7], [1, 784, 512], [127, 129, 128], [129, 127, 1], [128, 128, 128],
  [1000, 7, 33], [5, 1000, 3], [33, 65, 1000], [0, 5, 5], [5, 0, 5], [5, 5, 0], [64, 300, 257],
  [3, 70, 900], [2, 33, 17], [13, 33, 385], [1, 1, 1000],
];

// |c - ref| <= tol·(1 + |ref|) with tol growing like sqrt(k) float32 rounding.
function expectClose(c: Float32Array, ref: Float32Array, k: number, label: string): void {
  const tol = 1e-5 * Math.sqrt(Math.max(1, k)) * 4;
  for (let i = 0; i < ref.length; i++) {
    const err = Math.abs(c[i]! - ref[i]!);
    if (!(err <= tol * (1 + Math.abs(ref[i]!)))) {
      throw new Error(`${label}: element ${i}: got ${c[i]}, expected ${ref[i]} (|diff| ${err.toExponential(2)} > ${tol.toExponential(2)})`);
    }
  }
}

describe.each(others.map((b) => [b.name, b] as const))('backend %s vs js', (_name, backend) => {
  for (const [m, n, k] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`gemm ${m}×${n}×${k} transA=${transA} transB=${transB}`, () => {
          const a = rand(m * k, 1);
          const b = rand(k * n, 2);
          const c0 = rand(m * n, 3);
          for (const opts of [{ transA, transB }, { transA, transB, alpha: 0.5, beta: -1.5 }] as GemmOptions[]) {
            const ref = c0.slice();
            const out = c0.slice();
            gemmJs(m, n, k, a, b, ref, opts);
            backend.gemm(m, n, k, a, b, out, opts);
            expectClose(out, ref, k, JSON.stringify(opts));
          }
        });
      }
    }
  }

  // Large enough to use every thread, several k blocks, and edge tiles in both directions.
  it('gemm 1000×1000×300 (threads, edge tiles), plain and both transposed', () => {
    const [m, n, k] = [1000, 1000, 300];
    const a = rand(m * k, 11);
    const b = rand(k * n, 12);
    for (const opts of [{}, { transA: true, transB: true, alpha: 0.75, beta: 0.5 }] as GemmOptions[]) {
      const ref = rand(m * n, 13);
      const out = ref.slice();
      gemmJs(m, n, k, a, b, ref, opts);
      backend.gemm(m, n, k, a, b, out, opts);
      expectClose(out, ref, k, JSON.stringify(opts));
    }
  });

  for (const act of ACTIVATIONS) {
    it(`gemm epilogue bias + ${act}`, () => {
      const cases = [[1, 129, 784, true], [37, 65, 17, true], [128, 256, 64, true], [3, 100, 50, false], [130, 97, 800, false], [1, 1000, 20, false]] as const;
      for (const [m, n, k, transB] of cases) {
        const a = rand(m * k, 4);
        const b = rand(n * k, 5);
        const bias = rand(n, 6);
        const ref = new Float32Array(m * n);
        const out = new Float32Array(m * n).fill(NaN); // beta = 0 must ignore C
        const opts: GemmOptions = { transB, bias, activation: act as Activation, leakySlope: 0.1 };
        gemmJs(m, n, k, a, b, ref, opts);
        backend.gemm(m, n, k, a, b, out, opts);
        expectClose(out, ref, k, `${act} ${m}×${n}×${k}`);
      }
    });

    it(`gemm ${act} over a wide input range (vectorised exp/erf/tanh)`, () => {
      // 1×1 weights of 1, so C = act(x + bias) for x spread over [-30, 30] and near 0.
      const n = 2001;
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) x[i] = (i - 1000) * (i % 2 ? 0.03 : 1e-4);
      const one = new Float32Array([1]);
      const ref = new Float32Array(n);
      const out = new Float32Array(n);
      const opts: GemmOptions = { activation: act as Activation, leakySlope: 0.2 };
      gemmJs(n, 1, 1, x, one, ref, opts);
      backend.gemm(n, 1, 1, x, one, out, opts);
      expectClose(out, ref, 1, act);
    });

    it(`colStats ${act}`, () => {
      for (const [rows, cols] of [[1, 1], [7, 129], [1000, 33], [0, 4], [257, 512], [2000, 100]] as const) {
        const x = rand(rows * cols, 7);
        for (let i = 0; i < x.length; i += 5) x[i] = 0; // exact zeros for the zero count
        const ref = newColStats(cols);
        const got = newColStats(cols);
        const xr = x.slice();
        const xg = x.slice();
        colStatsJs(xr, rows, cols, act, ref, { writeBack: true, leakySlope: 0.1 });
        backend.colStats(xg, rows, cols, act, got, { writeBack: true, leakySlope: 0.1 });
        expect(got.count).toBe(ref.count);
        expectClose(xg, xr, 1, `${act} writeBack`);
        for (let j = 0; j < cols; j++) {
          expect(got.zeros[j]).toBe(ref.zeros[j]);
          expect(Math.abs(got.sum[j]! - ref.sum[j]!)).toBeLessThan(1e-4 * (1 + Math.abs(ref.sumAbs[j]!)));
          expect(Math.abs(got.sumAbs[j]! - ref.sumAbs[j]!)).toBeLessThan(1e-4 * (1 + ref.sumAbs[j]!));
          if (rows === 0) expect(got.max[j]).toBe(-Infinity);
          else expect(Math.abs(got.max[j]! - ref.max[j]!)).toBeLessThan(1e-5 * (1 + Math.abs(ref.max[j]!)));
        }
      }
    });
  }

  it('gemmAsync matches gemm', async () => {
    const [m, n, k] = [200, 300, 400];
    const a = rand(m * k, 8);
    const b = rand(k * n, 9);
    const sync = new Float32Array(m * n);
    const asy = new Float32Array(m * n);
    backend.gemm(m, n, k, a, b, sync);
    await backend.gemmAsync(m, n, k, a, b, asy);
    expect(asy).toEqual(sync);
  });
});

it('at least the js backend is available', () => {
  expect(availableBackends().find((b) => b.name === 'js')?.available).toBe(true);
});
