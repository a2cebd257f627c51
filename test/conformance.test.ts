// Every backend against the js reference, every op (ggml's test-backend-ops idea: one harness,
// every op × every backend, one set of tolerances from test/helpers/tolerance.mjs): gemm,
// colStats, svd, cholesky64, solveLower64, firstNonFinite.
//
// The backends expected here are explicit: cpu (the addon is part of the build) unless the addon
// is switched off (TRIMNET_ADDON=none, TRIMNET_NATIVE=OFF), cuda with TRIMNET_EXPECT_CUDA=1. A
// missing expected backend, or nothing beside js to test, fails the suite instead of passing
// with zero cases.
import { describe, expect, it } from 'vitest';
import { availableBackends, tryBackend } from '../src/backend/registry.js';
import { gemmJs, colStatsJs, jsBackend } from '../src/backend/js.js';
import { ACTIVATIONS, newColStats, type Activation, type Backend, type BackendName, type GemmOptions } from '../src/backend/types.js';
import { Rng } from '../src/rng.js';
import { spdMatrix } from './helpers/spd.mjs';
import { firstMismatch, gemmTolerance, svdProblems, svdValueTolerance } from './helpers/tolerance.mjs';
import { rand } from './helpers/random.js';

const addonOff = process.env.TRIMNET_ADDON === 'none' || process.env.TRIMNET_NATIVE === 'OFF';
const expectedBackends: BackendName[] = [...(addonOff ? [] : ['cpu' as const]), ...(process.env.TRIMNET_EXPECT_CUDA === '1' ? ['cuda' as const] : [])];

const others = availableBackends()
  .filter((b) => b.available && b.name !== 'js')
  .map((b) => tryBackend(b.name)!) as Backend[];

describe('the backends under test', () => {
  for (const name of expectedBackends) {
    it(`${name} is available`, () => {
      const b = availableBackends().find((x) => x.name === name)!;
      expect(b.reason ?? '', `backend ${name} is expected here`).toBe('');
      expect(b.available).toBe(true);
    });
  }
  it('at least one backend beside js is tested', () => {
    expect(others.map((b) => b.name), `available: ${JSON.stringify(availableBackends())}`).not.toEqual([]);
  });
});

const shapes: [number, number, number][] = [
  [1, 1, 1], [7, 7, 7], [1, 784, 512], [127, 129, 128], [129, 127, 1], [128, 128, 128],
  [1000, 7, 33], [5, 1000, 3], [33, 65, 1000], [0, 5, 5], [5, 0, 5], [5, 5, 0], [64, 300, 257],
  [3, 70, 900], [2, 33, 17], [13, 33, 385], [1, 1, 1000],
];

// |c - ref| <= gemmTolerance(k)·(1 + |ref|).
function expectClose(c: Float32Array, ref: Float32Array, k: number, label: string): void {
  const bad = firstMismatch(c, ref, gemmTolerance(k), label);
  if (bad) throw new Error(bad);
}

// B Bᵀ / n + shift·I: symmetric positive definite for shift > 0 (float64).
function spd(n: number, seed: number, shift = 0.5): Float64Array {
  const r = new Rng(seed);
  return spdMatrix(n, () => r.uniform(-1, 1), shift);
}

function maxDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i]! - y[i]!));
  return d;
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

describe.each(others.map((b) => [b.name, b] as const))('backend %s vs js: svd, cholesky64, solveLower64, firstNonFinite', (_name, backend) => {
  // Tall, wide, square, empty, and large enough for the blocked and QR-first native paths.
  const svdShapes: [number, number][] = [[1, 1], [0, 3], [3, 0], [7, 5], [5, 7], [33, 33], [96, 33], [40, 130], [200, 192]];
  for (const [m, n] of svdShapes) {
    it(`svd ${m}×${n}, thin and full: a valid SVD whose S matches the reference`, () => {
      const a = rand(m * n, m * 31 + n);
      const ref = jsBackend.svd(a, m, n, false);
      for (const full of [false, true]) {
        const r = backend.svd(a, m, n, full);
        expect(svdProblems(r, a, m, n, full, `${m}×${n}${full ? ' full' : ''}`)).toEqual([]);
        expect(maxDiff(r.S, ref.S)).toBeLessThanOrEqual(svdValueTolerance(ref.S));
      }
    });
  }

  it('svdAsync gives exactly the sync result', async () => {
    const a = rand(60 * 40, 77);
    const s = backend.svd(a, 60, 40, false);
    const r = await backend.svdAsync(a, 60, 40, false);
    expect(r.S).toEqual(s.S);
    expect(r.U).toEqual(s.U);
    expect(r.V).toEqual(s.V);
  });

  // Float64 throughout: L and the solves agree with the reference to float64 rounding growing
  // with n (entries are O(1), the condition number of these matrices is O(10)).
  for (const n of [1, 7, 47, 48, 97, 200]) {
    it(`cholesky64 and solveLower64, n = ${n}`, () => {
      const a = spd(n, n);
      const l = a.slice();
      const lRef = a.slice();
      expect(backend.cholesky64(l, n, 0).failedAt).toBe(-1);
      expect(jsBackend.cholesky64(lRef, n, 0).failedAt).toBe(-1);
      expect(maxDiff(l, lRef)).toBeLessThanOrEqual(1e-12);
      for (const k of [1, 5, 200]) {
        const r = new Rng(1000 + k);
        const x = Float64Array.from({ length: n * k }, () => r.uniform(-1, 1));
        for (const transposed of [false, true]) {
          const got = x.slice();
          const want = x.slice();
          backend.solveLower64(lRef, n, got, k, transposed);
          jsBackend.solveLower64(lRef, n, want, k, transposed);
          expect(maxDiff(got, want)).toBeLessThanOrEqual(1e-9 * (1 + Math.max(...want.map(Math.abs))));
        }
      }
    });
  }

  it('cholesky64 of a matrix that is not positive definite fails at the reference column', () => {
    for (const [n, bad] of [[20, 3], [60, 0], [200, 150]] as const) {
      const a = spd(n, 5, 1);
      a[bad * n + bad] = -1;
      const got = backend.cholesky64(a.slice(), n, 0);
      const want = jsBackend.cholesky64(a.slice(), n, 0);
      expect(got.failedAt).toBe(want.failedAt);
      expect(Math.abs(got.pivot - want.pivot)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(want.pivot)));
    }
  });

  it('firstNonFinite finds the reference index, short and long arrays', () => {
    for (const n of [0, 1, 100, 20000, 70001]) {
      const x = rand(n, n);
      expect(backend.firstNonFinite(x)).toBe(-1);
      for (const at of [0, Math.floor(n / 3), n - 1].filter((i) => i >= 0 && i < n)) {
        for (const v of [NaN, Infinity, -Infinity]) {
          const y = x.slice();
          y[at] = v;
          if (at + 2 < n) y[at + 2] = NaN;
          expect(backend.firstNonFinite(y)).toBe(jsBackend.firstNonFinite(y));
          expect(backend.firstNonFinite(y)).toBe(at);
        }
      }
    }
  });
});

it('at least the js backend is available', () => {
  expect(availableBackends().find((b) => b.name === 'js')?.available).toBe(true);
});
