// SVD on every backend that has one (cpu = native kernel, js = float64 Jacobi reference) against
// scipy's singular values (test/fixtures/make_svd.py), plus reconstruction, orthogonality of U
// and V (thin and full), native vs js on awkward shapes, async vs sync, and bad arguments.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../src/backend/addon.js';
import { tryBackend } from '../src/backend/registry.js';
import type { Backend, SvdResult } from '../src/backend/types.js';
import { svd, svdAsync } from '../src/ops.js';
import { Rng } from '../src/rng.js';
import { Tensor } from '../src/tensor.js';
import { SVD_ORTHONORMAL_TOLERANCE, orthError, svdReconstructionError, svdReconstructionTolerance, svdValueTolerance } from './helpers/tolerance.mjs';

interface Case {
  name: string;
  m: number;
  n: number;
  offset: number;
  S: number[];
}
const fixDir = join(__dirname, 'fixtures', 'svd');
const cases = (JSON.parse(readFileSync(join(fixDir, 'cases.json'), 'utf8')) as { cases: Case[] }).cases;
const bin = readFileSync(join(fixDir, 'cases.bin'));
const all = new Float32Array(bin.buffer, bin.byteOffset, bin.byteLength / 4);
const matrix = (c: Case) => all.slice(c.offset, c.offset + c.m * c.n);

const backends = (['cpu', 'js'] as const).map((n) => tryBackend(n)).filter((b): b is Backend => b !== null);
const native = tryBackend('cpu');
const addon = loadAddon().addon;

function rand(m: number, n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  const a = new Float32Array(m * n);
  for (let i = 0; i < a.length; i++) a[i] = r.uniform(-1, 1);
  return a;
}

/** Checks shapes, S (descending, >= 0), ‖A − U S Vᵀ‖_F and max |XᵀX − I| for X = U, V. */
function checkSvd(r: SvdResult, a: Float32Array, m: number, n: number, full: boolean, label: string): void {
  const p = Math.min(m, n);
  const pu = full ? m : p;
  const pv = full ? n : p;
  expect(r.U.length, `${label} U size`).toBe(m * pu);
  expect(r.S.length, `${label} S size`).toBe(p);
  expect(r.V.length, `${label} V size`).toBe(n * pv);
  for (let i = 0; i < p; i++) {
    expect(r.S[i]!, `${label} S[${i}] >= 0`).toBeGreaterThanOrEqual(0);
    if (i > 0) expect(r.S[i]!, `${label} S descending at ${i}`).toBeLessThanOrEqual(r.S[i - 1]!);
  }
  expect(svdReconstructionError(r, a, m, n, full), `${label} ‖A − U S Vᵀ‖_F`).toBeLessThanOrEqual(svdReconstructionTolerance(a, m, n));
  expect(orthError(r.U, m, pu), `${label} UᵀU − I`).toBeLessThanOrEqual(SVD_ORTHONORMAL_TOLERANCE);
  expect(orthError(r.V, n, pv), `${label} VᵀV − I`).toBeLessThanOrEqual(SVD_ORTHONORMAL_TOLERANCE);
}

describe.each(backends.map((b) => [b.name, b] as const))('svd on %s', (_name, backend) => {
  for (const c of cases) {
    for (const full of [false, true]) {
      it(`${c.name} ${full ? 'full' : 'thin'}: S matches scipy, reconstructs, U and V orthonormal`, () => {
        const a = matrix(c);
        const r = backend.svd(a, c.m, c.n, full);
        for (let i = 0; i < c.S.length; i++) {
          expect(Math.abs(r.S[i]! - c.S[i]!), `S[${i}]`).toBeLessThanOrEqual(svdValueTolerance(c.S));
        }
        checkSvd(r, a, c.m, c.n, full, c.name);
      });
    }
  }

  it('empty shapes: 0×n, n×0, 0×0', () => {
    for (const [m, n] of [[0, 4], [4, 0], [0, 0]] as const) {
      for (const full of [false, true]) {
        const r = backend.svd(new Float32Array(0), m, n, full);
        expect(r.S.length).toBe(0);
        expect(r.U.length).toBe(full ? m * m : 0);
        expect(r.V.length).toBe(full ? n * n : 0);
        expect(orthError(r.U, m, full ? m : 0)).toBe(0);
        expect(orthError(r.V, n, full ? n : 0)).toBe(0);
      }
    }
  });
});


// X (m×rank) · Y (rank×n) from seeded uniform factors: rank-deficient when rank < min(m, n).
function lowRank(m: number, n: number, rank: number, seed: number): Float32Array {
  const x = rand(m, rank, seed);
  const y = rand(rank, n, seed + 1);
  const a = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < rank; k++) s += x[i * rank + k]! * y[k * n + j]!;
      a[i * n + j] = s;
    }
  return a;
}

// Thin and full SVD of each low-rank case: reconstructs, orthonormal, and σ_k ≈ 0 for k >= rank.
function checkRankDeficient(cases: readonly (readonly [number, number, number])[], seed: number): void {
  for (const [m, n, rank] of cases) {
    const a = lowRank(m, n, rank, seed);
    for (const full of [false, true]) {
      const r = native!.svd(a, m, n, full);
      checkSvd(r, a, m, n, full, `rank ${rank} of ${m}×${n}${full ? ' full' : ''}`);
      for (let k = rank; k < Math.min(m, n); k++) expect(r.S[k]!).toBeLessThanOrEqual(svdValueTolerance(r.S));
    }
  }
}

describe.runIf(native !== null)('native svd vs js reference and ml-matrix', () => {
  const shapes: [number, number][] = [[1, 1], [1, 17], [17, 1], [2, 2], [33, 5], [5, 33], [64, 64], [130, 31], [31, 130], [96, 97]];
  for (const [m, n] of shapes) {
    it(`${m}×${n}: same S, same singular vectors up to sign`, () => {
      const a = rand(m, n, m * 1000 + n);
      const rn = native!.svd(a, m, n, false);
      const rj = tryBackend('js')!.svd(a, m, n, false);
      const p = Math.min(m, n);
      const smax = rj.S[0]!;
      for (let k = 0; k < p; k++) {
        expect(Math.abs(rn.S[k]! - rj.S[k]!)).toBeLessThanOrEqual(svdValueTolerance(rj.S));
        // Random matrices have well-separated singular values: vectors agree up to sign.
        const gap = Math.min(k > 0 ? rj.S[k - 1]! - rj.S[k]! : Infinity, k < p - 1 ? rj.S[k]! - rj.S[k + 1]! : Infinity);
        if (gap < 1e-3 * smax) continue;
        let du = 0;
        let dv = 0;
        for (let i = 0; i < m; i++) du += rn.U[i * p + k]! * rj.U[i * p + k]!;
        for (let i = 0; i < n; i++) dv += rn.V[i * p + k]! * rj.V[i * p + k]!;
        expect(Math.abs(du), `u_${k}`).toBeGreaterThan(1 - 1e-3);
        expect(Math.abs(dv), `v_${k}`).toBeGreaterThan(1 - 1e-3);
        expect(du * dv, `sign pairing of u_${k}, v_${k}`).toBeGreaterThan(0);
      }
    });
  }

  it('a larger matrix (several rotation batches, threaded paths): reconstructs, orthonormal', () => {
    const [m, n] = [300, 260];
    const a = rand(m, n, 11);
    checkSvd(native!.svd(a, m, n, false), a, m, n, false, '300×260');
    const at = rand(n, m, 12);
    checkSvd(native!.svd(at, n, m, true), at, n, m, true, '260×300 full');
    // >= 2^18 elements: the bidiagonalisation runs on a thread team
    const [mb, nb] = [520, 512];
    const b = rand(mb, nb, 14);
    checkSvd(native!.svd(b, mb, nb, false), b, mb, nb, false, '520×512');
  });

  it('blocked bidiagonalisation (n >= 192): zero rows and columns, rank one, m > n, wide; S agrees with the js reference', () => {
    const js = tryBackend('js')!;
    const agree = (r: SvdResult, ref: SvdResult, label: string) => {
      for (let k = 0; k < ref.S.length; k++)
        expect(Math.abs(r.S[k]! - ref.S[k]!), `${label} S[${k}]`).toBeLessThanOrEqual(svdValueTolerance(ref.S));
    };
    // Zero rows, zero columns and a zero block wider than a panel (16): reflectors with τ = 0
    // inside the panels, on both sides.
    {
      const [m, n] = [300, 280];
      const a = rand(m, n, 51);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) if (j % 7 === 3 || i % 11 === 5 || (j >= 40 && j < 80)) a[i * n + j] = 0;
      const r = native!.svd(a, m, n, false);
      checkSvd(r, a, m, n, false, 'zero rows/cols 300×280');
      agree(r, js.svd(a, m, n, false), 'zero rows/cols 300×280');
    }
    // Rank one: after the first step the trailing matrix is rounding noise.
    {
      const [m, n] = [270, 260];
      const x = rand(m, 1, 52);
      const y = rand(1, n, 53);
      const a = new Float32Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[i * n + j] = x[i]! * y[j]!;
      const r = native!.svd(a, m, n, false);
      checkSvd(r, a, m, n, false, 'rank one 270×260');
      for (let k = 1; k < n; k++) expect(r.S[k]!).toBeLessThanOrEqual(svdValueTolerance(r.S));
    }
    // Extreme scales: the blocked steps multiply matrix entries together, so A is scaled by a
    // power of two first (without it 1e30 and 1e36 overflow and 1e-38 loses S).
    {
      const [m, n] = [300, 260];
      const base = rand(m, n, 56);
      const ref = native!.svd(base, m, n, false);
      for (const scale of [1e-38, 1e-30, 1e30, 1e36]) {
        const a = base.map((x) => x * scale);
        const r = native!.svd(a, m, n, false);
        for (let k = 0; k < n; k++)
          expect(Math.abs(r.S[k]! / scale - ref.S[k]!), `scale ${scale} S[${k}]`).toBeLessThanOrEqual(svdValueTolerance(ref.S));
        expect(orthError(r.U, m, n), `scale ${scale} UᵀU − I`).toBeLessThanOrEqual(SVD_ORTHONORMAL_TOLERANCE);
        expect(orthError(r.V, n, n), `scale ${scale} VᵀV − I`).toBeLessThanOrEqual(SVD_ORTHONORMAL_TOLERANCE);
      }
    }
    // m > n below the QR-first ratio, and a wide input (transposed), full U and V.
    for (const [m, n, seed, full] of [[400, 300, 54, false], [290, 380, 55, true]] as const) {
      const a = rand(m, n, seed);
      const r = native!.svd(a, m, n, full);
      checkSvd(r, a, m, n, full, `${m}×${n}${full ? ' full' : ''}`);
      if (!full) agree(r, js.svd(a, m, n, false), `${m}×${n}`);
    }
  });

  it('a few zero singular values (U completed from V, not by rotations): orthonormal, reconstructs', () => {
    checkRankDeficient([[60, 40, 36], [40, 60, 35], [90, 90, 88]], 21);
  });

  it('tall and wide inputs (QR first, m >= 1.6 n): S agrees with the js reference, reconstructs, orthonormal', () => {
    const js = tryBackend('js')!;
    for (const [m, n, seed] of [[300, 40, 31], [40, 300, 32], [1000, 128, 33], [96, 33, 34]] as const) {
      const a = rand(m, n, seed);
      for (const full of m * n <= 12000 ? [false, true] : [false]) {
        const r = native!.svd(a, m, n, full);
        checkSvd(r, a, m, n, full, `${m}×${n}${full ? ' full' : ''}`);
        if (!full && m * n <= 12000) {
          const ref = js.svd(a, m, n, false);
          for (let k = 0; k < Math.min(m, n); k++) expect(Math.abs(r.S[k]! - ref.S[k]!)).toBeLessThanOrEqual(svdValueTolerance(ref.S));
        }
      }
    }
    // 1000×128 singular values against the js reference too (thin only: the check is O(m n²))
    const a = rand(1000, 128, 33);
    const r = native!.svd(a, 1000, 128, false);
    const ref = js.svd(a, 1000, 128, false);
    for (let k = 0; k < 128; k++) expect(Math.abs(r.S[k]! - ref.S[k]!)).toBeLessThanOrEqual(svdValueTolerance(ref.S));
  });

  it('rank-deficient tall and wide inputs (QR first): zero singular values, orthonormal completion', () => {
    checkRankDeficient([[300, 60, 20], [300, 60, 57], [50, 200, 10]], 41);
  });

  it('extreme scales (1e-38 … 1e36) keep S relative to σmax and U, V orthonormal', () => {
    const [m, n] = [20, 12];
    const base = rand(m, n, 13);
    const ref = tryBackend('js')!.svd(base, m, n, false);
    for (const scale of [1e-38, 1e-30, 1e30, 1e36]) {
      const a = base.map((x) => x * scale);
      const r = native!.svd(a, m, n, true);
      for (let k = 0; k < n; k++) expect(Math.abs(r.S[k]! / scale - ref.S[k]!)).toBeLessThanOrEqual(svdValueTolerance(ref.S));
      expect(orthError(r.U, m, m)).toBeLessThanOrEqual(SVD_ORTHONORMAL_TOLERANCE);
      expect(orthError(r.V, n, n)).toBeLessThanOrEqual(SVD_ORTHONORMAL_TOLERANCE);
    }
  });

  it('singular values agree with ml-matrix (second oracle)', () => {
    const m = 40;
    const n = 25;
    const a = rand(m, n, 99);
    const rows = Array.from({ length: m }, (_, i) => Array.from(a.subarray(i * n, (i + 1) * n)));
    const ref = new SingularValueDecomposition(new Matrix(rows), { autoTranspose: true }).diagonal;
    const r = native!.svd(a, m, n, false);
    for (let k = 0; k < n; k++) expect(Math.abs(r.S[k]! - ref[k]!)).toBeLessThanOrEqual(svdValueTolerance(ref));
  });

  it('async gives exactly the sync result, for thin and full', async () => {
    // (260×200: the blocked bidiagonalisation, whose partial sums are per row chunk, not per
    // thread, so the result does not depend on how many threads the pool could give.)
    for (const [m, n] of [[70, 40], [40, 70], [260, 200]] as const) {
      for (const full of [false, true]) {
        const a = rand(m, n, 5);
        const s = native!.svd(a, m, n, full);
        const r = await native!.svdAsync(a, m, n, full);
        expect(r.S).toEqual(s.S);
        expect(r.U).toEqual(s.U);
        expect(r.V).toEqual(s.V);
      }
    }
  });

  it('the addon rejects bad arguments with clear errors', async () => {
    const a = new Float32Array(6);
    expect(() => addon!.svd(a, 2, 4, false)).toThrow(/A has 6 elements but the call needs 8/);
    expect(() => addon!.svd(new Float64Array(6) as unknown as Float32Array, 2, 3, false)).toThrow(/Expected a Float32Array for A/);
    expect(() => addon!.svd(a, -1, 3, false)).toThrow(/Expected a non-negative 32-bit integer for m/);
    expect(() => addon!.svd(a, 2, 1.5, false)).toThrow(/for n/);
    expect(() => addon!.svd(a, 2, 3, 1 as unknown as boolean)).toThrow(/Expected a boolean for full/);
    expect(() => (addon!.svd as unknown as (...x: unknown[]) => unknown)(a, 2, 3)).toThrow(/svd expects 4 arguments/);
    expect(() => addon!.svd(new Float32Array([1, NaN]), 1, 2, false)).toThrow(/NaN or Infinity/);
    await expect(addon!.svdAsync(new Float32Array([Infinity]), 1, 1, false)).rejects.toThrow(/NaN or Infinity/);
    expect(() => addon!.svdAsync(a, 3, 3, false)).toThrow(/needs 9/);
  });
});

// The bidiagonal SVD by divide and conquer (kernels/cpu/svd/bidiag_dc.cpp; the default from
// n = 64), forced at every size with TRIMNET_SVD_DC=1 so its small trees run too (leaves of 24
// rows: 25 is one split, 49 a full leaf with an extra column, 127/129 several levels), against
// the bidiagonal QR (TRIMNET_SVD_BDQR=1). Both variables are read by the addon at each call.
// Bounds: the method is backward stable, so with u = 2⁻²³ (float32) the computed factors satisfy
// ‖A − U S Vᵀ‖_F ≤ c·u·n·‖A‖_F and max|UᵀU − I|, max|VᵀV − I| ≤ c·u·n: the float32
// bidiagonalisation and back-transformation contribute O(u·n) (products of n reflectors), the
// merges' float GEMMs O(u·K) per level. c = 2 leaves room over the 1–15·u measured; a wrong
// vector (a lost deflation, an unorthogonal secular solve) is off by O(1). The singular values of
// both methods are those of the same float32 bidiagonal B up to O(u·n·‖B‖) (Weyl).
describe.runIf(native !== null)('svd: divide and conquer for the bidiagonal SVD', () => {
  const u = 2 ** -23;
  function withEnv<T>(name: string, fn: () => T): T {
    process.env[name] = '1';
    try {
      return fn();
    } finally {
      delete process.env[name];
    }
  }
  const dc = (a: Float32Array, m: number, n: number, full = false) => withEnv('TRIMNET_SVD_DC', () => native!.svd(a, m, n, full));
  const qr = (a: Float32Array, m: number, n: number) => withEnv('TRIMNET_SVD_BDQR', () => native!.svd(a, m, n, false));
  const frob = (a: Float32Array) => Math.sqrt(a.reduce((s, x) => s + x * x, 0));
  function check(a: Float32Array, m: number, n: number, label: string, full = false): SvdResult {
    const r = dc(a, m, n, full);
    const p = Math.min(m, n);
    const bound = 2 * u * Math.max(m, n);
    for (let i = 1; i < p; i++) expect(r.S[i]!, `${label} S descending`).toBeLessThanOrEqual(r.S[i - 1]!);
    expect(svdReconstructionError(r, a, m, n, full), `${label} ‖A − USVᵀ‖`).toBeLessThanOrEqual(bound * frob(a) + 1e-37);
    expect(orthError(r.U, m, full ? m : p), `${label} UᵀU − I`).toBeLessThanOrEqual(bound);
    expect(orthError(r.V, n, full ? n : p), `${label} VᵀV − I`).toBeLessThanOrEqual(bound);
    const ref = qr(a, m, n);
    for (let k = 0; k < p; k++)
      expect(Math.abs(r.S[k]! - ref.S[k]!), `${label} S[${k}] vs QR`).toBeLessThanOrEqual(bound * ref.S[0]! + 1e-37);
    return r;
  }
  // A = Q1 diag(s) Q2ᵀ with dense orthogonal Q1, Q2 (products of 3 random reflectors), in float64.
  function withSingularValues(s: number[], seed: number): Float32Array {
    const n = s.length;
    const reflect = (x: Float64Array, cols: boolean, rs: number) => {
      for (let t = 0; t < 3; t++) {
        const v = Float64Array.from(rand(n, 1, rs + t));
        const vv = v.reduce((acc, y) => acc + y * y, 0);
        for (let k = 0; k < n; k++) {
          // column k (cols) or row k of x ← (I − 2vvᵀ/vᵀv) applied on that side
          let d = 0;
          for (let i = 0; i < n; i++) d += v[i]! * (cols ? x[i * n + k]! : x[k * n + i]!);
          const f = (2 * d) / vv;
          for (let i = 0; i < n; i++) {
            if (cols) x[i * n + k] -= f * v[i]!;
            else x[k * n + i] -= f * v[i]!;
          }
        }
      }
    };
    const x = new Float64Array(n * n);
    for (let i = 0; i < n; i++) x[i * n + i] = s[i]!;
    reflect(x, true, seed);
    reflect(x, false, seed + 10);
    return Float32Array.from(x);
  }

  it('random inputs of awkward sizes (1, 7, 25, 26, 49, 50, 127, 129), tall, wide and full', () => {
    for (const n of [1, 7, 25, 26, 49, 50, 127, 129]) check(rand(n, n, 700 + n), n, n, `${n}×${n}`);
    check(rand(150, 129, 801), 150, 129, '150×129');
    check(rand(100, 130, 802), 100, 130, '100×130 full', true);
  });

  it('repeated and clustered singular values (deflation by rotation), zeros, rank-deficient', () => {
    const n = 129;
    const repeated = Array.from({ length: n }, (_, i) => [3, 2, 1][i % 3]!);
    const rr = check(withSingularValues(repeated, 61), n, n, 'repeated 3/2/1');
    for (let k = 0; k < n; k++) expect(Math.abs(rr.S[k]! - (k < 43 ? 3 : k < 86 ? 2 : 1)), `repeated S[${k}]`).toBeLessThanOrEqual(2 * u * n * 3);
    // Multiplicity above n/2: by interlacing both halves of every split share the value, so the
    // merges deflate equal d's by rotation.
    const many = Array.from({ length: n }, (_, i) => (i < 100 ? 1 : 2));
    const rm = check(withSingularValues(many, 67), n, n, 'σ = 1 ×100, 2 ×29');
    for (let k = 0; k < n; k++) expect(Math.abs(rm.S[k]! - (k < 29 ? 2 : 1)), `multiple S[${k}]`).toBeLessThanOrEqual(2 * u * n * 2);
    check(withSingularValues(Array.from({ length: n }, (_, i) => 1 + 1e-7 * i), 62), n, n, 'cluster 1 + 1e-7 i');
    // An upper bidiagonal Toeplitz input (d = 1, e = 0.5) is its own B, and at n = 131 the split
    // rows 0..64 (65 rows, odd) has two identical children: their σ are equal in double, so the
    // merge deflates them by rotation (the case the perturbed inputs above never reach).
    const nt = 131;
    const toeplitz = new Float32Array(nt * nt);
    for (let i = 0; i < nt; i++) {
      toeplitz[i * nt + i] = 1;
      if (i + 1 < nt) toeplitz[i * nt + i + 1] = 0.5;
    }
    check(toeplitz, nt, nt, 'bidiagonal Toeplitz 131×131');
    check(new Float32Array(70 * 70), 70, 70, 'zero 70×70');
    const z = rand(100, 90, 63);
    for (let i = 0; i < 100; i++) for (let j = 0; j < 90; j++) if (i % 9 === 4 || j % 5 === 2 || (j >= 30 && j < 60)) z[i * 90 + j] = 0;
    check(z, 100, 90, 'zero rows/columns 100×90');
    for (const rank of [1, 10, 60]) {
      const a = lowRank(128, 128, rank, 64 + rank);
      const r = check(a, 128, 128, `rank ${rank} of 128×128`);
      for (let k = rank; k < 128; k++) expect(r.S[k]!, `rank ${rank} S[${k}] ≈ 0`).toBeLessThanOrEqual(2 * u * 128 * r.S[0]!);
    }
  });

  it('graded inputs (column scales 1 … 1e-30) and extreme overall scales', () => {
    for (const [m, n] of [[130, 130], [200, 127]] as const) {
      const a = rand(m, n, 65);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[i * n + j] *= 10 ** ((-30 * j) / (n - 1));
      check(a, m, n, `graded ${m}×${n}`);
    }
    const base = rand(100, 100, 66);
    for (const scale of [1e-35, 1e35]) check(base.map((x) => x * scale), 100, 100, `scale ${scale}`);
  });
});

describe('public svd / svdAsync', () => {
  it('returns tensors of the documented shapes (thin and full)', async () => {
    const a = Tensor.from(rand(6, 4, 3), [6, 4]);
    const t = svd(a);
    expect(t.U.shape).toEqual([6, 4]);
    expect(t.V.shape).toEqual([4, 4]);
    const f = await svdAsync(a, { full: true });
    expect(f.U.shape).toEqual([6, 6]);
    expect(f.S.length).toBe(4);
    for (let i = 0; i < 4; i++) expect(Math.abs(f.S[i]! - t.S[i]!)).toBeLessThanOrEqual(svdValueTolerance(t.S));
  });

  it('rejects NaN and non-matrices', async () => {
    expect(() => svd(Tensor.from(new Float32Array([1, NaN, 0, 1]), [2, 2]))).toThrow(/finite/);
    expect(() => svd(Tensor.from(new Float32Array(8), [2, 2, 2]))).toThrow();
    await expect(svdAsync(Tensor.from(new Float32Array([Infinity]), [1, 1]))).rejects.toThrow(/finite/);
  });
});
