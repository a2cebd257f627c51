// Small dense solvers (src/linalg/): cholesky, solveSPD, symmetricEigen (Jacobi and shifted-SVD paths, PSD and
// indefinite), inverseSqrtSPD, qr; clear errors for NaN, non-square, asymmetric and non-SPD input.
import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError } from '../src/errors.js';
import { JACOBI_MAX_N, cholesky, inverseSqrtSPD, qr, solveSPD, solveTriangular, symmetricEigen } from '../src/linalg/solvers.js';
import { Rng } from '../src/rng.js';
import { Tensor } from '../src/tensor.js';
import { linearMap } from '../src/align/linear.js';
import { RidgeAccumulator, ridgeFit, ridgeLambda } from '../src/linalg/ridge.js';

function randn(m: number, n: number, seed: number): Float64Array {
  const r = new Rng(seed);
  const a = new Float64Array(m * n);
  for (let i = 0; i < a.length; i++) a[i] = r.uniform(-1, 1);
  return a;
}

/** C = op(A)·op(B) in float64 for plain row-major arrays. */
function mul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number, tA = false, tB = false): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (tA ? a[p * m + i]! : a[i * k + p]!) * (tB ? b[j * k + p]! : b[p * n + j]!);
      c[i * n + j] = s;
    }
  return c;
}

/** A random symmetric matrix with the given eigenvalues (A = Q diag(λ) Qᵀ, Q from a QR). */
function withEigen(values: number[], seed: number): { a: Float64Array; n: number } {
  const n = values.length;
  const q = qr(new Tensor(Float32Array.from(randn(n, n, seed)), [n, n])).Q.data;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q[i * n + k]! * values[k]! * q[j * n + k]!;
      a[i * n + j] = s;
    }
  // exact symmetry
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j]!;
  return { a, n };
}

const t = (x: ArrayLike<number>, shape: [number, number]) => new Tensor(Float32Array.from(x), shape);
const maxAbsDiff = (x: ArrayLike<number>, y: ArrayLike<number>) => {
  let w = 0;
  for (let i = 0; i < x.length; i++) w = Math.max(w, Math.abs(x[i]! - y[i]!));
  return w;
};
const eye = (n: number) => {
  const e = new Float64Array(n * n);
  for (let i = 0; i < n; i++) e[i * n + i] = 1;
  return e;
};

describe('cholesky and solveSPD', () => {
  it('L Lᵀ = A, L lower triangular', () => {
    const n = 30;
    const x = randn(50, n, 1);
    const a = mul(x, x, n, 50, n, true, false);
    const l = cholesky(t(a, [n, n])).data;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(l[i * n + j]).toBe(0);
    expect(maxAbsDiff(mul(l, l, n, n, n, false, true), a)).toBeLessThan(1e-5 * 50);
  });

  it('solves the ridge normal equations (A + λI) X = B', () => {
    const n = 20;
    const k = 3;
    const x = randn(40, n, 2);
    const a = mul(x, x, n, 40, n, true, false);
    const b = randn(n, k, 3);
    const ridge = 0.5;
    const sol = solveSPD(t(a, [n, n]), t(b, [n, k]), { ridge }).data;
    const ar = Float64Array.from(a);
    for (let i = 0; i < n; i++) ar[i * n + i]! += ridge;
    expect(maxAbsDiff(mul(ar, sol, n, n, k), b)).toBeLessThan(1e-4);
  });

  it('accepts a vector right-hand side and rank-deficient A with a ridge', () => {
    const n = 10;
    const x = randn(3, n, 4); // rank 3
    const a = mul(x, x, n, 3, n, true, false);
    expect(() => solveSPD(t(a, [n, n]), new Tensor(new Float32Array(n).fill(1), [n]))).toThrow(/positive definite.*add a ridge/);
    const sol = solveSPD(t(a, [n, n]), new Tensor(new Float32Array(n).fill(1), [n]), { ridge: 1e-2 });
    expect(sol.shape).toEqual([n, 1]);
  });

  it('clear errors for NaN, non-square, asymmetric, indefinite, bad ridge, shape mismatch', () => {
    expect(() => cholesky(t([1, NaN, NaN, 1], [2, 2]))).toThrow(/finite numbers/);
    expect(() => cholesky(t([1, 2, 3, 4, 5, 6], [2, 3]))).toThrow(ShapeError);
    expect(() => cholesky(t([2, 1, 0, 2], [2, 2]))).toThrow(/symmetric matrix/);
    expect(() => cholesky(t([1, 2, 2, 1], [2, 2]))).toThrow(ArgumentError);
    expect(() => cholesky(t([1, 2, 2, 1], [2, 2]))).toThrow(/pivot 1/);
    expect(() => solveSPD(t([1, 0, 0, 1], [2, 2]), t([1, 2, 3], [3, 1]))).toThrow(/3 rows/);
    expect(() => solveSPD(t([1, 0, 0, 1], [2, 2]), t([1, 2], [2, 1]), { ridge: -1 })).toThrow(/ridge/);
    expect(() => solveSPD(t([1, 0, 0, 1], [2, 2]), t([1, Infinity], [2, 1]))).toThrow(/finite/);
  });
});

describe('solveTriangular', () => {
  it('L X = B and Lᵀ X = B with L from cholesky; whitening gives identity covariance', () => {
    const n = 12;
    const rows = 40;
    const x = randn(rows, n, 21);
    const c = mul(x, x, n, rows, n, true, false);
    const l = cholesky(t(c, [n, n]));
    const b = randn(n, 3, 22);
    const y = solveTriangular(l, t(b, [n, 3])).data;
    expect(maxAbsDiff(mul(l.data, y, n, n, 3), b)).toBeLessThan(1e-5);
    const z = solveTriangular(l, t(b, [n, 3]), { transpose: true }).data;
    expect(maxAbsDiff(mul(l.data, z, n, n, 3, true, false), b)).toBeLessThan(1e-5);
    // Xw = (L⁻¹ Xᵀ)ᵀ: Xwᵀ Xw = L⁻¹ C L⁻ᵀ = I
    const xt = new Float64Array(n * rows);
    for (let i = 0; i < rows; i++) for (let j = 0; j < n; j++) xt[j * rows + i] = x[i * n + j]!;
    const w = solveTriangular(l, t(xt, [n, rows])).data; // n×rows = Xwᵀ
    expect(maxAbsDiff(mul(w, w, n, rows, n, false, true), eye(n))).toBeLessThan(1e-4);
  });

  it('rejects a zero diagonal, shape mismatch and NaN', () => {
    expect(() => solveTriangular(t([1, 0, 5, 0], [2, 2]), t([1, 1], [2, 1]))).toThrow(/non-zero diagonal/);
    expect(() => solveTriangular(t([1, 0, 0, 1], [2, 2]), t([1, 1, 1], [3, 1]))).toThrow(/3 rows/);
    expect(() => solveTriangular(t([1, 0, 0, 1], [2, 2]), t([1, NaN], [2, 1]))).toThrow(/finite/);
  });
});

describe('symmetricEigen', () => {
  // n <= JACOBI_MAX_N uses float64 Jacobi; larger n the shifted native SVD.
  for (const n of [1, 5, 40, JACOBI_MAX_N + 12]) {
    for (const kind of ['PSD', 'indefinite'] as const) {
      it(`${kind} ${n}×${n}: A Q = Q Λ, QᵀQ = I, λ descending and correct`, () => {
        const values = Array.from({ length: n }, (_, i) => (kind === 'PSD' ? 1 + i : i - n / 2 + 0.25));
        const { a } = withEigen(values, n + 10);
        const e = symmetricEigen(t(a, [n, n]));
        const want = [...values].sort((x, y) => y - x);
        const scale = Math.max(...values.map(Math.abs));
        const tol = n <= JACOBI_MAX_N ? 1e-5 : 2e-5;
        expect(maxAbsDiff(e.values, want)).toBeLessThan(tol * scale * 4);
        const q = e.vectors.data;
        expect(maxAbsDiff(mul(q, q, n, n, n, true, false), eye(n))).toBeLessThan(2e-5);
        const aq = mul(a, q, n, n, n);
        let worst = 0;
        for (let i = 0; i < n; i++) for (let r = 0; r < n; r++) worst = Math.max(worst, Math.abs(aq[i * n + r]! - q[i * n + r]! * e.values[r]!));
        expect(worst).toBeLessThan(tol * scale * 10);
      });
    }
  }

  it('rejects NaN and asymmetric input', () => {
    expect(() => symmetricEigen(t([0, NaN, NaN, 0], [2, 2]))).toThrow(/finite/);
    expect(() => symmetricEigen(t([0, 1, -1, 0], [2, 2]))).toThrow(/symmetric/);
  });
});

describe('inverseSqrtSPD', () => {
  for (const n of [4, 100, JACOBI_MAX_N + 22]) {
    it(`W A W = I for an SPD ${n}×${n} (cond 1e3)`, () => {
      const values = Array.from({ length: n }, (_, i) => 10 ** (-3 * (i / Math.max(1, n - 1))));
      const { a } = withEigen(values, 7 * n);
      const w = inverseSqrtSPD(t(a, [n, n])).data;
      const wa = mul(mul(w, a, n, n, n), w, n, n, n);
      expect(maxAbsDiff(wa, eye(n))).toBeLessThan(n <= JACOBI_MAX_N ? 1e-4 : 5e-3);
      // symmetric
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(Math.abs(w[i * n + j]! - w[j * n + i]!)).toBeLessThan(1e-3);
    });
  }

  it('rejects indefinite and singular input with a hint to add a ridge', () => {
    expect(() => inverseSqrtSPD(t([1, 0, 0, -1], [2, 2]))).toThrow(/positive definite.*ridge/);
    expect(() => inverseSqrtSPD(t([1, 1, 1, 1], [2, 2]))).toThrow(/positive definite/);
  });
});

describe('qr', () => {
  for (const [m, n] of [[1, 1], [6, 6], [50, 20], [9, 1]] as const) {
    it(`${m}×${n}: Q R = A, QᵀQ = I, R upper triangular`, () => {
      const a = randn(m, n, m + n);
      const { Q, R } = qr(t(a, [m, n]));
      expect(Q.shape).toEqual([m, n]);
      expect(R.shape).toEqual([n, n]);
      expect(maxAbsDiff(mul(Q.data, R.data, m, n, n), a)).toBeLessThan(1e-5);
      expect(maxAbsDiff(mul(Q.data, Q.data, n, m, n, true, false), eye(n))).toBeLessThan(1e-6);
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(R.data[i * n + j]).toBe(0);
    });
  }

  it('rank-deficient input still gives orthonormal Q', () => {
    const m = 8;
    const n = 4;
    const a = new Float64Array(m * n);
    for (let i = 0; i < m; i++) a[i * n] = a[i * n + 1] = i + 1; // two equal columns, two zero columns
    const { Q, R } = qr(t(a, [m, n]));
    expect(maxAbsDiff(mul(Q.data, R.data, m, n, n), a)).toBeLessThan(1e-5);
    expect(maxAbsDiff(mul(Q.data, Q.data, n, m, n, true, false), eye(n))).toBeLessThan(1e-6);
  });

  it('rejects wide and non-finite input', () => {
    expect(() => qr(t([1, 2, 3], [1, 3]))).toThrow(ShapeError);
    expect(() => qr(t([NaN], [1, 1]))).toThrow(/finite/);
  });
});

// One ridge solver (src/linalg/ridge.ts); `relative` always means λ = ridge × the mean diagonal
// of the matrix it regularises, whether linearMap, kernelMap, cca, or reconstruction reads it.
describe('ridge: absolute and relative are one solver with an explicit scale', () => {
  const X = Tensor.randn([200, 12], 31).map((v, i) => v * (1 + (i % 12)) + 3); // columns of different scales, off-centre
  const Y = Tensor.randn([200, 5], 32);
  const centredTrace = (x: Tensor): number => {
    const mean = x.colMeans();
    let s = 0;
    for (let i = 0; i < x.data.length; i++) s += (x.data[i]! - mean[i % x.cols]!) ** 2;
    return s;
  };

  it('linearMap: relative r equals absolute r·trace(XcᵀXc)/d', () => {
    const r = 0.05;
    const rel = linearMap(X, Y, { ridge: r, ridgeScale: 'relative' });
    const abs = linearMap(X, Y, { ridge: (r * centredTrace(X)) / X.cols, ridgeScale: 'absolute' });
    // Both solve the same float64 system; the float32 Gram differs only in how λ is formed.
    expect(maxAbsDiff(rel.W.data, abs.W.data)).toBeLessThan(1e-5);
    expect(maxAbsDiff(rel.b, abs.b)).toBeLessThan(1e-5);
    expect(linearMap(X, Y, { ridge: r }).W.data).toEqual(linearMap(X, Y, { ridge: r, ridgeScale: 'absolute' }).W.data); // absolute is the default
  });

  it('reconstruction after pruning reads its ridge as relative too (the same solver)', () => {
    const r = 0.05;
    const acc = new RidgeAccumulator(X.cols, Y.cols);
    acc.add(X.data, Y.data, X.rows);
    const layer = acc.solve(r);
    const fit = ridgeFit(X, Y, { ridge: r, scale: 'relative', what: 'test' });
    for (let o = 0; o < Y.cols; o++) for (let i = 0; i < X.cols; i++) expect(layer.weight[o * X.cols + i]).toBeCloseTo(fit.W.data[i * Y.cols + o]!, 6);
    // λ from the float32 Gram: relative error of a few ε₃₂ against the float64 trace.
    const want = (r * centredTrace(X)) / X.cols;
    expect(Math.abs(fit.lambda - want) / want).toBeLessThan(1e-6);
  });

  it('the scale is checked', () => {
    expect(() => linearMap(X, Y, { ridge: 1, ridgeScale: 'percent' as 'relative' })).toThrow(/'absolute' or 'relative'/);
    expect(ridgeLambda(2, 'absolute', 100, 10)).toBe(2);
    expect(ridgeLambda(2, 'relative', 100, 10)).toBe(20);
  });
});
