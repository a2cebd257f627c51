// The native float64 Cholesky and triangular solves (kernels/cpu/dense64.cpp, blocked and
// threaded) against the plain TypeScript loops of src/backend/dense64-js.ts, on awkward sizes (block
// edges at 96, register blocks of 4 rows × 16 columns), a matrix that is not positive definite,
// and bad arguments at the addon boundary.
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../src/backend/addon.js';
import { cholesky64Js as choleskyReference, solveLower64Js as solveReference } from '../src/backend/dense64-js.js';
import { cholesky64, solveLower64, solveLowerT64 } from '../src/linalg/cholesky.js';
import { Rng } from '../src/rng.js';
import { spdMatrix } from './helpers/spd.mjs';

const addon = loadAddon().addon;

// B Bᵀ / n + shift·I: SPD for shift > 0.
function spd(n: number, seed: number, shift = 0.5): Float64Array {
  const r = new Rng(seed);
  return spdMatrix(n, () => r.uniform(-1, 1), shift);
}

function maxDiff(x: Float64Array, y: Float64Array): number {
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i]! - y[i]!));
  return d;
}

const fail = (j: number, pivot: number) => new Error(`pivot ${j}: ${pivot}`);

// The js reference (src/backend/dense64-js.ts) in the form of the dispatching wrappers.
function cholesky64Js(a: Float64Array, n: number, onFail: (j: number, pivot: number) => Error, minPivot = 0): void {
  const r = choleskyReference(a, n, minPivot);
  if (r.failedAt >= 0) throw onFail(r.failedAt, r.pivot);
}
const solveLower64Js = (l: Float64Array, n: number, x: Float64Array, k: number) => solveReference(l, n, x, k, false);
const solveLowerT64Js = (l: Float64Array, n: number, x: Float64Array, k: number) => solveReference(l, n, x, k, true);

describe.runIf(addon?.cholesky64 !== undefined)('native float64 Cholesky and solves vs the TypeScript loops', () => {
  for (const n of [1, 7, 48, 95, 96, 97, 127, 129, 300, 700]) {
    it(`n = ${n}: L and the solves agree`, () => {
      const a = spd(n, n);
      const ln = a.slice();
      const lj = a.slice();
      addon!.cholesky64!(ln, n, 0);
      cholesky64Js(lj, n, fail);
      expect(maxDiff(ln, lj)).toBeLessThanOrEqual(1e-12);
      for (const k of [1, 7, 64]) {
        const r = new Rng(1000 + k);
        const x = new Float64Array(n * k).map(() => r.uniform(-1, 1));
        for (const transposed of [false, true]) {
          const xn = x.slice();
          const xj = x.slice();
          addon!.solveLower64!(ln, n, xn, k, transposed);
          (transposed ? solveLowerT64Js : solveLower64Js)(lj, n, xj, k);
          expect(maxDiff(xn, xj)).toBeLessThanOrEqual(1e-9 * (1 + Math.max(...xj.map(Math.abs))));
        }
      }
    });
  }

  it('the dispatching wrappers give the reference results (native above the size cut-off)', () => {
    const n = 200;
    const a = spd(n, 3);
    const l1 = a.slice();
    const l2 = a.slice();
    cholesky64(l1, n, fail);
    cholesky64Js(l2, n, fail);
    expect(maxDiff(l1, l2)).toBeLessThanOrEqual(1e-12);
    const x = new Float64Array(n * 5).map((_, i) => Math.sin(i));
    const y1 = x.slice();
    const y2 = x.slice();
    solveLowerT64(l1, n, y1, 5);
    solveLower64(l1, n, y1, 5);
    solveLowerT64Js(l2, n, y2, 5);
    solveLower64Js(l2, n, y2, 5);
    expect(maxDiff(y1, y2)).toBeLessThanOrEqual(1e-9);
  });

  it('a matrix that is not positive definite fails at the same column with the same pivot', () => {
    for (const [n, bad] of [[60, 0], [200, 150], [300, 97]] as const) {
      const a = spd(n, 5, 1);
      a[bad * n + bad] = -1; // column `bad` cannot be factored
      const r = addon!.cholesky64!(a.slice(), n, 0);
      let ref: { j: number; pivot: number } | null = null;
      expect(() =>
        cholesky64Js(a.slice(), n, (j, pivot) => {
          ref = { j, pivot };
          return new Error('not SPD');
        }),
      ).toThrow('not SPD');
      expect(ref).not.toBeNull();
      expect(r.failedAt).toBe(ref!.j);
      expect(Math.abs(r.pivot - ref!.pivot)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(ref!.pivot)));
      expect(() => cholesky64(a.slice(), n, fail)).toThrow(`pivot ${ref!.j}`);
    }
  });

  it('minPivot refuses a nearly singular matrix the same way', () => {
    const n = 120;
    const a = spd(n, 9, 1e-9);
    // Make row/column 100 a copy of row/column 99: pivot 100 is ~1e-9 relative to the diagonal.
    for (let i = 0; i < n; i++) {
      a[100 * n + i] = a[99 * n + i]!;
      a[i * n + 100] = a[i * n + 99]!;
    }
    a[100 * n + 100] = a[99 * n + 99]! + 1e-9;
    const r = addon!.cholesky64!(a.slice(), n, 1e-6);
    let refJ = -1;
    const refFail = (j: number): Error => {
      refJ = j;
      return new Error('not clearly positive');
    };
    expect(() => cholesky64Js(a.slice(), n, refFail, 1e-6)).toThrow('not clearly positive');
    expect(r.failedAt).toBe(refJ);
    expect(refJ).toBeGreaterThanOrEqual(0);
  });

  it('bad arguments throw, never crash', () => {
    const a = spd(4, 1);
    expect(() => addon!.cholesky64!(new Float32Array(16) as unknown as Float64Array, 4, 0)).toThrow(/Float64Array/);
    expect(() => addon!.cholesky64!(a, 5, 0)).toThrow(/elements/);
    expect(() => addon!.cholesky64!(a, -1, 0)).toThrow(/non-negative/);
    expect(() => addon!.cholesky64!(a, 4, NaN)).toThrow(/minPivot/);
    const x = new Float64Array(8);
    expect(() => addon!.solveLower64!(a, 4, x, 3, false)).toThrow(/elements/);
    expect(() => addon!.solveLower64!(a, 4, a, 4, false)).toThrow(/share memory/);
    expect(() => addon!.solveLower64!(a, 4, x, 2, 'no' as unknown as boolean)).toThrow();
    expect(() => (addon!.solveLower64 as unknown as (...args: unknown[]) => void)(a, 4, x)).toThrow(/5 arguments/);
  });
});
