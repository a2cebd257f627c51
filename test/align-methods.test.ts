// Procrustes, CCA and the ridge linear map against the scipy/numpy/sklearn references in
// test/fixtures/align/cases.json (made by test/fixtures/make_align.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cca } from '../src/align/cca.js';
import { linearMap } from '../src/align/linear.js';
import { procrustes } from '../src/align/procrustes.js';
import { kernelMap } from '../src/align/kernel.js';
import { kernelRidge } from '../src/align/krr.js';
import { matmul } from '../src/ops.js';
import { Tensor } from '../src/tensor.js';

interface ProcrustesCase {
  name: string;
  n: number;
  d1: number;
  d2: number;
  opts: { center?: boolean; normalize?: boolean };
  check: 'R' | 'residual';
  A: number[];
  B: number[];
  R: number[];
  scale: number;
  residual: number;
}
interface CcaCase {
  name: string;
  n: number;
  dx: number;
  dy: number;
  k: number;
  ridge: number;
  X: number[];
  Y: number[];
  correlations: number[];
  Wx: number[];
  Wy: number[];
}
interface RidgeCase {
  name: string;
  n: number;
  dx: number;
  dy: number;
  ridge: number;
  X: number[];
  Y: number[];
  W: number[];
  b: number[];
}
const cases = JSON.parse(readFileSync(new URL('./fixtures/align/cases.json', import.meta.url), 'utf8')) as {
  procrustes: ProcrustesCase[];
  cca: CcaCase[];
  ridge: RidgeCase[];
};

const t = (data: number[], r: number, c: number) => new Tensor(Float32Array.from(data), [r, c]);
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
/** ||prep(A)·R − prep(B)||_F through the public apply/target. */
const residual = (A: Tensor, B: Tensor, r: ReturnType<typeof procrustes>) => r.apply(A).sub(r.target(B)).norm();

describe('procrustes matches scipy.linalg.orthogonal_procrustes', () => {
  for (const c of cases.procrustes) {
    it(c.name, () => {
      const A = t(c.A, c.n, c.d1);
      const B = t(c.B, c.n, c.d2);
      const r = procrustes(A, B, c.opts);
      expect(r.R.shape).toEqual([c.d1, c.d2]);
      expect(Math.abs(r.scale - c.scale) / c.scale).toBeLessThan(1e-5);
      if (c.check === 'R') {
        expect(maxAbsDiff(r.R.data, c.R)).toBeLessThan(1e-4);
      } else {
        // R is not unique for a rank-deficient AᵀB: check it is as good as scipy's.
        expect(Math.abs(residual(A, B, r) - c.residual) / c.residual).toBeLessThan(1e-5);
      }
      // Orthonormal columns (d1 ≥ d2) or rows (d1 < d2).
      const g = c.d1 >= c.d2 ? matmul(r.R, r.R, { transA: true }) : matmul(r.R, r.R, { transB: true });
      expect(maxAbsDiff(g.data, Tensor.eye(Math.min(c.d1, c.d2)).data)).toBeLessThan(1e-5);
    });
  }

  it('recovers a known rotation exactly (apply(A) ≈ B)', () => {
    const c = cases.procrustes.find((p) => p.name.startsWith('known rotation'))!;
    const A = t(c.A, c.n, c.d1);
    const B = t(c.B, c.n, c.d2);
    const r = procrustes(A, B);
    expect(maxAbsDiff(r.apply(A).data, B.data)).toBeLessThan(1e-4);
  });

  it('apply() repeats the fit-set centring on new rows', () => {
    const c = cases.procrustes.find((p) => p.name.startsWith('centered'))!;
    const A = t(c.A, c.n, c.d1);
    const B = t(c.B, c.n, c.d2);
    const r = procrustes(A, B, { center: true });
    const row = A.sliceRows(3, 4);
    const expected = matmul(row.addRow(r.meanA!.map((v) => -v)), r.R);
    expect(maxAbsDiff(r.apply(row).data, expected.data)).toBeLessThan(1e-5);
  });
});

describe('cca matches the numpy reference (same ridge convention)', () => {
  for (const c of cases.cca) {
    it(c.name, () => {
      const X = t(c.X, c.n, c.dx);
      const Y = t(c.Y, c.n, c.dy);
      const r = cca(X, Y, { k: c.k, ridge: c.ridge });
      expect(maxAbsDiff(r.correlations, c.correlations)).toBeLessThan(1e-4);
      for (let j = 1; j < c.k; j++) expect(r.correlations[j]!).toBeLessThanOrEqual(r.correlations[j - 1]!);
      // Directions (deterministic signs) agree with the reference, relative to each column's size.
      const scaleX = Math.max(...c.Wx.map(Math.abs));
      const scaleY = Math.max(...c.Wy.map(Math.abs));
      expect(maxAbsDiff(r.Wx.data, c.Wx) / scaleX).toBeLessThan(2e-3);
      expect(maxAbsDiff(r.Wy.data, c.Wy) / scaleY).toBeLessThan(2e-3);
      // The shared coordinates of the fit set are correlated exactly as reported.
      const [xk, yk] = r.transform(X, Y);
      for (let j = 0; j < c.k; j++) {
        let sxy = 0;
        let sxx = 0;
        let syy = 0;
        for (let i = 0; i < c.n; i++) {
          const a = xk.get(i, j);
          const b = yk.get(i, j);
          sxy += a * b;
          sxx += a * a;
          syy += b * b;
        }
        if (c.ridge < 1e-3) expect(Math.abs(sxy / Math.sqrt(sxx * syy) - c.correlations[j]!)).toBeLessThan(1e-3);
      }
    });
  }

  it('weighted scales the shared dimensions by their correlations', () => {
    const c = cases.cca[0]!;
    const X = t(c.X, c.n, c.dx);
    const Y = t(c.Y, c.n, c.dy);
    const plain = cca(X, Y, { k: c.k, ridge: c.ridge }).applyX(X);
    const w = cca(X, Y, { k: c.k, ridge: c.ridge, weighted: true });
    const weighted = w.applyX(X);
    for (let j = 0; j < c.k; j++) expect(weighted.get(5, j)).toBeCloseTo(plain.get(5, j) * w.correlations[j]!, 4);
  });
});

describe('linearMap matches sklearn Ridge / LinearRegression', () => {
  for (const c of cases.ridge) {
    it(c.name, () => {
      const X = t(c.X, c.n, c.dx);
      const Y = t(c.Y, c.n, c.dy);
      const r = linearMap(X, Y, { ridge: c.ridge });
      const wScale = Math.max(...c.W.map(Math.abs));
      expect(maxAbsDiff(r.W.data, c.W) / wScale).toBeLessThan(1e-4);
      expect(maxAbsDiff(r.b, c.b) / Math.max(1, ...c.b.map(Math.abs))).toBeLessThan(1e-4);
      // apply = X·W + b; with center both sides move by −μy.
      const p = r.apply(X.sliceRows(0, 2));
      const centred = linearMap(X, Y, { ridge: c.ridge, center: true });
      expect(maxAbsDiff(centred.apply(X.sliceRows(0, 2)).data, p.sub(new Tensor(Float32Array.from([...r.meanY, ...r.meanY]), [2, c.dy])).data)).toBeLessThan(1e-4);
    });
  }
});

describe('kernelMap', () => {
  it('fits a nonlinear map a linear one cannot', () => {
    const X = Tensor.randn([400, 3], 1);
    const Y = X.map((v) => Math.sin(2 * v)); // elementwise sine: not linear
    const lin = linearMap(X, Y, { ridge: 1e-3, center: true });
    const ker = kernelMap(X, Y, { features: 300, gamma: 1, ridge: 1e-3 });
    const errLin = lin.apply(X).sub(lin.target(Y)).norm();
    const errKer = ker.apply(X).sub(ker.target(Y)).norm();
    expect(errKer).toBeLessThan(0.5 * errLin);
  });

  it('is deterministic for a seed', () => {
    const X = Tensor.randn([50, 4], 2);
    const Y = Tensor.randn([50, 2], 3);
    const a = kernelMap(X, Y, { features: 40, seed: 5 }).apply(X);
    const b = kernelMap(X, Y, { features: 40, seed: 5 }).apply(X);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });
});

describe('kernelRidge (exact)', () => {
  it('interpolates the fit set as ridge → 0 and beats the linear map on a nonlinear target', () => {
    const X = Tensor.randn([300, 3], 5);
    const Y = X.map((v) => Math.sin(2 * v));
    const k = kernelRidge(X, Y, { gamma: 1, ridge: 1e-3 });
    const lin = linearMap(X, Y, { ridge: 1e-3, center: true });
    const errK = k.apply(X).sub(k.target(Y)).norm();
    const errL = lin.apply(X).sub(lin.target(Y)).norm();
    expect(errK).toBeLessThan(0.1 * errL);
    // Held-out rows: still far better than linear.
    const Xt = Tensor.randn([100, 3], 6);
    const Yt = Xt.map((v) => Math.sin(2 * v));
    expect(k.apply(Xt).sub(k.target(Yt)).norm()).toBeLessThan(0.5 * lin.apply(Xt).sub(lin.target(Yt)).norm());
  });

  it('refuses fit sets above maxRows', () => {
    expect(() => kernelRidge(Tensor.randn([30, 2], 1), Tensor.randn([30, 2], 2), { maxRows: 20 })).toThrow(/maxRows/);
  });
});
