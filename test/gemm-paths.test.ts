// The CPU GEMM's paths (kernels/cpu/gemm_impl.h): m <= 4 without packing, the direct tiles for
// products under 2 MFLOP (m·n·k < 1e6, no packing, one thread) and for C narrower than a packed
// sliver (threaded by rows), and the packed, threaded blocks (A read in place for a narrow C).
// Each is checked against the js reference at its size thresholds ±1, and the direct and packed
// paths must agree bitwise (they do the same arithmetic per element: one FMA per k in order, in
// the same KC blocks, the same epilogue), as must any thread count: results depend on the ISA
// only, never on the CPU's core count or on which path a shape takes. Runs with whichever kernel
// is chosen (CI repeats the suite with TRIMNET_KERNEL=avx2 and =scalar).
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../src/backend/addon.js';
import { gemmJs } from '../src/backend/js.js';
import { tryBackend } from '../src/backend/registry.js';
import type { GemmOptions } from '../src/backend/types.js';
import { firstMismatch, gemmTolerance } from './helpers/tolerance.mjs';
import { rand } from './helpers/random.js';

const addon = loadAddon().addon;
const cpu = tryBackend('cpu');

// m·n·k around 1e6 (direct below, packed from it), m around 4 | 5 (the m <= 4 path), and n
// around the vector widths (8, 16) and tile widths (16, 32) for the direct path's edge tiles.
const shapes: [number, number, number][] = [
  [100, 100, 99], [100, 100, 100], [99, 101, 100], [101, 99, 101], [5, 200, 999], [5, 200, 1000],
  [4, 64, 64], [5, 64, 64], [64, 64, 64], [7, 15, 9], [11, 17, 3], [13, 31, 40], [25, 33, 70],
  [12, 47, 1], [23, 8, 5], [1000, 3, 2], [6, 500, 330],
  // C narrower than a packed sliver over ≥ 2 MFLOP (the direct tiles, threads over row tiles),
  // and narrow C with k not a multiple of 256 (A read in place, a last partial row tile packed).
  [1024, 10, 194], [601, 17, 200], [257, 151, 300], [130, 300, 129],
];

describe.runIf(cpu !== null && addon !== null)('cpu gemm paths', () => {
  const backend = cpu!;
  for (const [m, n, k] of shapes) {
    it(`${m}×${n}×${k}, every transpose, with alpha/beta and bias + activation, vs js`, () => {
      const a = rand(m * k, 1), b = rand(k * n, 2), c0 = rand(m * n, 3), bias = rand(n, 4);
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const all: GemmOptions[] = [
            { transA, transB },
            { transA, transB, alpha: 0.5, beta: -1.5 },
            { transA, transB, beta: 0.25, bias, activation: 'tanh' },
          ];
          for (const opts of all) {
            const ref = c0.slice(), out = c0.slice();
            gemmJs(m, n, k, a, b, ref, opts);
            backend.gemm(m, n, k, a, b, out, opts);
            const bad = firstMismatch(out, ref, gemmTolerance(k), `${m}×${n}×${k} ${JSON.stringify({ ...opts, bias: !!opts.bias })}`);
            expect(bad).toBeNull();
          }
        }
      }
    });
  }

  // A's rows stacked on more rows: the first m rows of the bigger (packed, threaded) product
  // must equal the small (direct) one bit for bit. k = 700 spans several KC blocks (256, 384).
  for (const [m, n, k, extra] of [
    [64, 64, 64, 300], [37, 45, 23, 1000], [8, 170, 700, 10], [99, 100, 100, 1],
  ] as [number, number, number, number][]) {
    it(`${m}×${n}×${k} (direct) equals its rows of ${m + extra}×${n}×${k} (packed) bitwise`, () => {
      const big = m + extra;
      const abig = rand(big * k, 5), b = rand(k * n, 6), c0 = rand(big * n, 7), bias = rand(n, 8);
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          // op(A) rows 0..m-1: A stored m×k is a prefix; A stored k×m takes the first m of each row.
          const a = new Float32Array(m * k);
          for (let q = 0; q < k; q++) {
            for (let i = 0; i < m; i++) a[transA ? q * m + i : i * k + q] = abig[transA ? q * big + i : i * k + q]!;
          }
          for (const opts of [{ transA, transB }, { transA, transB, alpha: 0.75, beta: 0.5, bias, activation: 'gelu' }] as GemmOptions[]) {
            const small = c0.slice(0, m * n), whole = c0.slice();
            backend.gemm(m, n, k, a, b, small, opts);
            backend.gemm(big, n, k, abig, b, whole, opts);
            expect(Buffer.from(small.buffer).equals(Buffer.from(whole.buffer, 0, m * n * 4)), JSON.stringify({ transA, transB })).toBe(true);
          }
        }
      }
    });
  }

  // A stored m×k is read in place for a narrow C (k not a multiple of 256), A stored k×m is
  // packed: the same product either way must give the same bits.
  it('A read in place equals A packed, bit for bit', () => {
    for (const [m, n, k] of [[257, 151, 300], [130, 300, 129], [1000, 40, 97], [13, 64, 785]] as [number, number, number][]) {
      const a = rand(m * k, 11), b = rand(n * k, 12), bias = rand(n, 13);
      const at = new Float32Array(k * m);
      for (let i = 0; i < m; i++) for (let q = 0; q < k; q++) at[q * m + i] = a[i * k + q]!;
      for (const opts of [{ transB: true }, { transB: false, bias, activation: 'relu' }] as GemmOptions[]) {
        const inPlace = new Float32Array(m * n), packed = new Float32Array(m * n);
        backend.gemm(m, n, k, a, b, inPlace, opts);
        backend.gemm(m, n, k, at, b, packed, { ...opts, transA: true });
        expect(Buffer.from(inPlace.buffer).equals(Buffer.from(packed.buffer)), `${m}×${n}×${k}`).toBe(true);
      }
    }
  });

  it('the result does not depend on the thread count (packed and direct shapes)', () => {
    try {
      for (const [m, n, k] of [[300, 200, 500], [1000, 40, 64], [30, 900, 70], [64, 64, 64], [1000, 10, 300], [257, 151, 300]] as [number, number, number][]) {
        const a = rand(m * k, 9), b = rand(k * n, 10);
        const outs = [1, 2, 3, 5].map((t) => {
          addon!.setThreads(t);
          const c = new Float32Array(m * n);
          backend.gemm(m, n, k, a, b, c, { transB: true });
          return Buffer.from(c.buffer);
        });
        for (const o of outs.slice(1)) expect(o.equals(outs[0]!), `${m}×${n}×${k}`).toBe(true);
      }
    } finally {
      addon!.setThreads(0);
    }
  });
});
