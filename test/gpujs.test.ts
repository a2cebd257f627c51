// gpujs-specific behaviour: which gpu.js mode runs, the kernel cache, empty shapes that never
// reach gpu.js, and the reason given when gpu.js cannot be used. Numerical agreement with js on
// the awkward shapes is test/conformance.test.ts's job; here CPU mode gets a few cases of its own.
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { probeGpujs, type GpujsBackend } from '../src/backend/gpujs.js';
import { colStatsJs, gemmJs } from '../src/backend/js.js';
import { ACTIVATIONS, mergeColStats, newColStats, type GemmOptions } from '../src/backend/types.js';
import { ShapeError } from '../src/errors.js';
import { rand } from './helpers/random.js';

// gpu.js is an optional dependency: without it, only the reason is checked.
const require = createRequire(import.meta.url);
let installedVersion: string | null = null;
try {
  installedVersion = (require('gpu.js/package.json') as { version: string }).version;
} catch {
  installedVersion = null;
}

it('the probe succeeds exactly when gpu.js is installed, else says it is not', () => {
  const p = probeGpujs();
  if (installedVersion !== null) expect(p.backend?.version).toBe(installedVersion);
  else expect(p.reason).toMatch(/gpu\.js is not installed/);
});

function maxRelErr(got: Float32Array, want: Float32Array): number {
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
  return e;
}

function backendFor(opts: Parameters<typeof probeGpujs>[0] = {}): GpujsBackend {
  const p = probeGpujs(opts);
  if (!p.backend) throw new Error(`gpujs unavailable: ${p.reason}`);
  return p.backend;
}

describe.runIf(installedVersion !== null)('probe', () => {
  it('loads the installed gpu.js and reports the mode its kernels run in', () => {
    const b = backendFor();
    expect(b.name).toBe('gpujs');
    expect(b.version).toBe(installedVersion);
    // auto: headless-gl when the optional native `gl` works, else WebAssembly
    expect(['webasm', 'headlessgl']).toContain(b.mode);
  });

  it('runs in gpu.js CPU mode when asked, and says so', () => {
    const b = backendFor({ mode: 'cpu' });
    expect(b.mode).toBe('cpu');
    const [m, n, k] = [9, 13, 17];
    const a = rand(m * k, 1);
    const bm = rand(n * k, 2);
    const ref = rand(m * n, 3);
    const out = ref.slice();
    const opts: GemmOptions = { transB: true, alpha: 0.75, beta: 0.5, bias: rand(n, 4), activation: 'gelu' };
    gemmJs(m, n, k, a, bm, ref, opts);
    b.gemm(m, n, k, a, bm, out, opts);
    expect(maxRelErr(out, ref)).toBeLessThan(1e-5);
  });

  it('says gpu.js is not installed when the module is missing', () => {
    const p = probeGpujs({ moduleId: 'gpu.js-that-is-not-installed' });
    expect(p.backend).toBeNull();
    expect(p.reason).toMatch(/gpu\.js is not installed.*npm install gpu\.js/);
  });

  it('says gpu.js failed to load when the module is not gpu.js', () => {
    const p = probeGpujs({ moduleId: 'node:path' });
    expect(p.backend).toBeNull();
    expect(p.reason).toMatch(/gpu\.js failed to load: 'node:path' has no GPU class/);
  });

  it('forcing headless-gl either runs on it or says why not', () => {
    const p = probeGpujs({ mode: 'headlessgl' });
    if (p.backend) expect(p.backend.mode).toBe('headlessgl');
    else expect(p.reason).toMatch(/headless-gl/);
  });

  describe('through the registry', () => {
    const saved = process.env.TRIMNET_GPUJS_MODE;
    afterEach(() => {
      if (saved === undefined) delete process.env.TRIMNET_GPUJS_MODE;
      else process.env.TRIMNET_GPUJS_MODE = saved;
      vi.resetModules();
    });

    it('availableBackends() lists gpujs as available here', async () => {
      delete process.env.TRIMNET_GPUJS_MODE;
      vi.resetModules();
      const { availableBackends } = await import('../src/backend/registry.js');
      expect(availableBackends().find((b) => b.name === 'gpujs')).toEqual({ name: 'gpujs', available: true });
    });

    it('availableBackends() gives the reason when gpujs cannot start', async () => {
      process.env.TRIMNET_GPUJS_MODE = 'quantum';
      vi.resetModules();
      const { availableBackends, setBackend } = await import('../src/backend/registry.js');
      const entry = availableBackends().find((b) => b.name === 'gpujs');
      expect(entry?.available).toBe(false);
      expect(entry?.reason).toBe('Expected one of auto, webasm, cpu, headlessgl for TRIMNET_GPUJS_MODE but received "quantum"');
      expect(() => setBackend('gpujs')).toThrow(/Backend 'gpujs' is not available: Expected one of/);
    });
  });
});

describe.runIf(installedVersion !== null)('kernel cache', () => {
  it('compiles once per shape and options, not per call or per alpha/beta/slope', () => {
    const b = backendFor();
    b.clearCache();
    const before = b.cacheStats().compiled;
    const [m, n, k] = [5, 6, 7];
    const a = rand(m * k, 5);
    const bm = rand(k * n, 6);
    for (const alpha of [1, 0.5, -2]) {
      const ref = rand(m * n, 7);
      const out = ref.slice();
      const opts: GemmOptions = { alpha, beta: 0.25, activation: 'leaky_relu', leakySlope: alpha / 10 };
      gemmJs(m, n, k, a, bm, ref, opts);
      b.gemm(m, n, k, a, bm, out, opts);
      expect(maxRelErr(out, ref)).toBeLessThan(1e-5);
    }
    expect(b.cacheStats().compiled).toBe(before + 1);
    b.gemm(m, n, k, a, bm, new Float32Array(m * n), { transA: false, alpha: 3 }); // beta = 0: another kernel
    b.gemm(m, n, k, a, bm, new Float32Array(m * n), { alpha: 4 });
    expect(b.cacheStats().compiled).toBe(before + 2);
    expect(b.cacheStats().size).toBe(2);
  });

  it('stays within its bound and recompiles evicted kernels correctly', () => {
    const b = backendFor({ cacheLimit: 2 });
    const start = b.cacheStats().compiled; // the probe's self-test compiled one
    const shapes: [number, number, number][] = [[3, 4, 5], [4, 5, 6], [5, 6, 7], [3, 4, 5]];
    for (const [m, n, k] of shapes) {
      const a = rand(m * k, m);
      const bm = rand(k * n, n);
      const ref = new Float32Array(m * n);
      const out = new Float32Array(m * n);
      gemmJs(m, n, k, a, bm, ref);
      b.gemm(m, n, k, a, bm, out);
      expect(maxRelErr(out, ref)).toBeLessThan(1e-5);
      expect(b.cacheStats().size).toBeLessThanOrEqual(2);
    }
    // the first shape was evicted by the third and compiled again
    expect(b.cacheStats()).toEqual({ size: 2, limit: 2, compiled: start + 4 });
  });

  it('rejects a cache bound that is not a positive integer', () => {
    const p = probeGpujs({ cacheLimit: 0 });
    expect(p.backend).toBeNull();
    expect(p.reason).toMatch(/Expected a positive integer for cacheLimit but received 0/);
  });
});

describe.runIf(installedVersion !== null)('empty shapes never reach gpu.js', () => {
  it('m = 0 or n = 0 leave C alone; k = 0 applies beta·C + bias and the activation', () => {
    const b = backendFor();
    b.clearCache();
    const { compiled } = b.cacheStats();
    const c = new Float32Array([1, 2, 3]);
    b.gemm(0, 3, 4, new Float32Array(0), new Float32Array(12), c, { beta: 2 });
    b.gemm(3, 0, 4, new Float32Array(12), new Float32Array(0), new Float32Array(0), { beta: 2 });
    expect(c).toEqual(new Float32Array([1, 2, 3]));

    const bias = new Float32Array([0.5, -4]);
    const out = new Float32Array([1, 2, -3, 4]);
    b.gemm(2, 2, 0, new Float32Array(0), new Float32Array(0), out, { beta: 2, bias, activation: 'relu' });
    expect(out).toEqual(new Float32Array([2.5, 0, 0, 4]));
    const nan = new Float32Array(4).fill(NaN); // beta = 0: C is not read
    b.gemm(2, 2, 0, new Float32Array(0), new Float32Array(0), nan, { bias });
    expect(nan).toEqual(new Float32Array([0.5, -4, 0.5, -4]));

    const stats = newColStats(3);
    b.colStats(new Float32Array(0), 0, 3, 'gelu', stats);
    expect(stats.count).toBe(0);
    expect(b.cacheStats().compiled).toBe(compiled);
  });
});

describe.runIf(installedVersion !== null)('arguments and behaviour', () => {
  it('bad arguments get the same typed errors as every backend', () => {
    const b = backendFor();
    expect(() => b.gemm(2, 2, 2, new Float32Array(3), new Float32Array(4), new Float32Array(4))).toThrow(ShapeError);
    expect(() => b.gemm(-1, 2, 2, new Float32Array(4), new Float32Array(4), new Float32Array(4))).toThrow(/Expected a non-negative 32-bit integer for m/);
    expect(() => b.colStats(new Float32Array(4), 2, 2, 'swish' as never, newColStats(2))).toThrow(/Expected one of identity/);
    expect(() => b.colStats(new Float32Array(4), 2, 2, 'relu', newColStats(3))).toThrow(/3 columns but x has 2/);
  });

  it('gemmAsync with transposes and the epilogue matches the js reference', async () => {
    const b = backendFor();
    const [m, n, k] = [130, 70, 300]; // above the size where webasm splits across its worker pool
    const a = rand(k * m, 11);
    const bm = rand(n * k, 12);
    const ref = rand(m * n, 13);
    const out = ref.slice();
    const opts: GemmOptions = { transA: true, transB: true, alpha: 0.5, beta: -1, bias: rand(n, 14), activation: 'tanh' };
    gemmJs(m, n, k, a, bm, ref, opts);
    await b.gemmAsync(m, n, k, a, bm, out, opts);
    expect(maxRelErr(out, ref)).toBeLessThan(1e-4);
  });

  it('reads views that start inside a larger buffer, and only their first m·k / k·n elements', () => {
    const b = backendFor();
    const [m, n, k] = [6, 10, 9];
    const bufA = rand(m * k + 20, 16);
    const bufB = rand(k * n + 20, 17);
    const a = bufA.subarray(7, 7 + m * k + 5); // longer than needed, at an offset
    const bm = bufB.subarray(3);
    const ref = new Float32Array(m * n);
    const out = new Float32Array(m * n);
    gemmJs(m, n, k, a, bm, ref, { activation: 'sigmoid' });
    b.gemm(m, n, k, a, bm, out, { activation: 'sigmoid' });
    expect(maxRelErr(out, ref)).toBeLessThan(1e-5);
  });

  it('gemmAsync rejects bad arguments instead of throwing synchronously', async () => {
    const b = backendFor();
    await expect(b.gemmAsync(2, 2, 2, new Float32Array(1), new Float32Array(4), new Float32Array(4))).rejects.toThrow(ShapeError);
  });

  it('colStats without writeBack leaves x alone, and batches merge to the whole', () => {
    const b = backendFor();
    const [rows, cols] = [600, 19]; // 3 row blocks, the last one partial
    const x = rand(rows * cols, 15);
    const copy = x.slice();
    for (const act of ACTIVATIONS) {
      const whole = newColStats(cols);
      b.colStats(x, rows, cols, act, whole, { leakySlope: 0.2 });
      expect(x).toEqual(copy);
      const half = (rows / 2) * cols;
      const parts = newColStats(cols);
      const second = newColStats(cols);
      b.colStats(x.subarray(0, half), rows / 2, cols, act, parts, { leakySlope: 0.2 });
      b.colStats(x.subarray(half), rows / 2, cols, act, second, { leakySlope: 0.2 });
      mergeColStats(parts, second);
      const ref = newColStats(cols);
      colStatsJs(x.slice(), rows, cols, act, ref, { leakySlope: 0.2 });
      for (const got of [whole, parts]) {
        expect(got.count).toBe(rows);
        expect(Array.from(got.zeros)).toEqual(Array.from(ref.zeros));
        for (let j = 0; j < cols; j++) {
          expect(Math.abs(got.sum[j]! - ref.sum[j]!)).toBeLessThan(1e-4 * (1 + ref.sumAbs[j]!));
          expect(Math.abs(got.sumAbs[j]! - ref.sumAbs[j]!)).toBeLessThan(1e-4 * (1 + ref.sumAbs[j]!));
          expect(Math.abs(got.max[j]! - ref.max[j]!)).toBeLessThan(1e-5 * (1 + Math.abs(ref.max[j]!)));
        }
      }
    }
  });
});
