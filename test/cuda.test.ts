// The cuda backend. Everywhere: it reports itself available or says exactly why not, and the
// addon's cuda entry points check their arguments before touching the device. With a GPU
// (the same file, on a machine that has one): the kernels against the js reference, resident
// device buffers, and no leaks.
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../src/backend/addon.js';
import { cudaAddon, keepOnDevice, refreshOnDevice, dropFromDevice } from '../src/backend/cuda.js';
import { firstMismatch, gemmTolerance, svdProblems } from './helpers/tolerance.mjs';
import { availableBackends, setBackend, tryBackend } from '../src/backend/registry.js';
import { gemmJs, colStatsJs } from '../src/backend/js.js';
import { ACTIVATIONS, newColStats } from '../src/backend/types.js';
import { rand } from './helpers/random.js';

const { addon, error } = loadAddon();
const info = addon?.info();
const cudaEntry = availableBackends().find((b) => b.name === 'cuda')!;
const gpu = info?.cudaCompiled === true && info.cudaStatus === 'ok';

describe('cuda backend availability', () => {
  it('is listed with a reason whenever it is unavailable', () => {
    expect(cudaEntry).toBeDefined();
    if (!cudaEntry.available) expect(cudaEntry.reason).toMatch(/\S/);
    expect(cudaEntry.available).toBe(gpu);
  });

  it.runIf(!addon)('says the addon failed to load when it is not built', () => {
    expect(cudaEntry.reason).toBe(`addon failed to load: ${error}`);
  });

  it.runIf(addon && !info!.cudaCompiled)('says "not built with CUDA" for an addon built without it', () => {
    expect(cudaEntry.reason).toBe('not built with CUDA');
    expect(addon!.cuda).toBeUndefined();
    expect(info!.cudaStatus).toBe('not built with CUDA');
  });

  it.runIf(addon && info!.cudaCompiled && !gpu)('loads without a driver/device and says why the backend is out', () => {
    expect(info!.cudaStatus).toMatch(/^no CUDA driver\/device: \S/);
    expect(cudaEntry.reason).toBe(info!.cudaStatus);
    expect(() => setBackend('cuda')).toThrow(/Backend 'cuda' is not available: no CUDA driver\/device/);
    expect(tryBackend('cuda')).toBeNull();
    // The cpu backend from the same addon is unaffected.
    expect(tryBackend('cpu')).not.toBeNull();
    expect(keepOnDevice(new Float32Array(4))).toBe(false);
  });

  it.runIf(addon && info!.cudaCompiled && !gpu)('entry points check arguments first, then refuse with the reason', () => {
    const cuda = cudaAddon(addon!)!;
    expect(Object.keys(cuda).sort()).toEqual(
      ['DeviceBuffer', 'colStats', 'deviceInfo', 'gemm', 'gemmAsync', 'stats', 'svd', 'svdAsync', 'upload'].sort(),
    );
    const f = (n: number) => new Float32Array(n);
    expect(() => cuda.gemm(2, 2, 2, new Float64Array(4) as never, f(4), f(4), false, false, 1, 0, null, 0, 0.01, false)).toThrow(
      'Expected a Float32Array or DeviceBuffer for A but received a typed array of another element type',
    );
    expect(() => cuda.gemm(2, 2, 2, f(3), f(4), f(4), false, false, 1, 0, null, 0, 0.01, false)).toThrow(
      'A has 3 elements but the call needs 4',
    );
    expect(() => cuda.gemm(2, 2, 2, f(4), f(4), f(4), false, false, 1, 0, null, 9, 0.01, false)).toThrow(/activation/);
    expect(() => (cuda.gemm as (...a: unknown[]) => void)(2, 2, 2)).toThrow('cuda.gemm expects 14 arguments, received 3');
    expect(() => cuda.gemm(2, 2, 2, f(4), f(4), f(4), false, false, 1, 0, null, 0, 0.01, false)).toThrow(
      /^CUDA is not available: no CUDA driver\/device/,
    );
    expect(() => cuda.upload(f(4))).toThrow(/^CUDA is not available/);
    expect(() => cuda.svd(f(4), 2, 2)).toThrow(/^CUDA is not available/);
    expect(() => cuda.deviceInfo()).toThrow(/^CUDA is not available/);
    expect(cuda.stats()).toEqual({ liveBuffers: 0, liveBytes: 0 });
  });
});

// ---- with a GPU --------------------------------------------------------------------------------

describe.runIf(gpu)('cuda kernels on the device', () => {
  const backend = gpu ? tryBackend('cuda')! : null!;
  const cuda = gpu ? cudaAddon(addon!)! : null!;

  it('gemm matches the js reference on awkward shapes, every transpose and activation', () => {
    for (const [m, n, k] of [[1, 1, 1], [7, 7, 7], [127, 129, 130], [129, 127, 1], [1000, 7, 33], [3, 1000, 257], [0, 4, 4], [4, 4, 0]]) {
      for (const transA of [false, true])
        for (const transB of [false, true])
          for (const act of ACTIVATIONS) {
            const a = rand(m! * k!, 1), b = rand(k! * n!, 2), c0 = rand(m! * n!, 3), bias = rand(n!, 4);
            const opts = { transA, transB, alpha: 0.75, beta: -0.5, bias, activation: act };
            const ref = c0.slice(), out = c0.slice();
            gemmJs(m!, n!, k!, a, b, ref, opts);
            backend.gemm(m!, n!, k!, a, b, out, opts);
            expect(firstMismatch(out, ref, gemmTolerance(k!), `${m}×${n}×${k} ${transA} ${transB} ${act}`)).toBeNull();
          }
    }
  });

  it('colStats matches the js reference (with write-back)', () => {
    for (const [rows, cols] of [[1, 1], [1000, 7], [129, 128], [513, 1000]] as const) {
      for (const act of ACTIVATIONS) {
        const x = rand(rows * cols, 5);
        const x2 = x.slice();
        const ref = newColStats(cols), got = newColStats(cols);
        colStatsJs(x, rows, cols, act, ref, { writeBack: true });
        backend.colStats(x2, rows, cols, act, got, { writeBack: true });
        expect(got.count).toBe(ref.count);
        for (let j = 0; j < cols; j++) {
          expect(Math.abs(got.sum[j]! - ref.sum[j]!)).toBeLessThan(1e-4 * (1 + ref.sumAbs[j]!));
          expect(Math.abs(got.sumAbs[j]! - ref.sumAbs[j]!)).toBeLessThan(1e-4 * (1 + ref.sumAbs[j]!));
          expect(got.zeros[j]).toBe(ref.zeros[j]);
          expect(Math.abs(got.max[j]! - ref.max[j]!)).toBeLessThan(1e-5 * (1 + Math.abs(ref.max[j]!)));
        }
        for (let i = 0; i < x.length; i++) expect(Math.abs(x2[i]! - x[i]!)).toBeLessThan(1e-5 * (1 + Math.abs(x[i]!)));
      }
    }
  });

  it('svd reconstructs A with orthonormal factors and descending S', () => {
    for (const [m, n] of [[1, 1], [7, 3], [3, 7], [64, 64], [200, 130]] as const) {
      const a = rand(m * n, 6);
      expect(svdProblems(backend.svd(a, m, n, false), a, m, n, false, `${m}×${n}`)).toEqual([]);
    }
  });

  it('resident arrays are uploaded once, refreshed on request, and freed', () => {
    const before = cuda.stats().liveBuffers;
    const w = rand(64 * 32, 7);
    expect(keepOnDevice(w)).toBe(true);
    expect(cuda.stats().liveBuffers).toBe(before + 1);
    const x = rand(8 * 32, 8), out = new Float32Array(8 * 64), ref = new Float32Array(8 * 64);
    backend.gemm(8, 64, 32, x, w, out, { transB: true });
    gemmJs(8, 64, 32, x, w, ref, { transB: true });
    for (let i = 0; i < ref.length; i++) expect(out[i]).toBeCloseTo(ref[i]!, 4);
    w.fill(0);
    refreshOnDevice(w);
    backend.gemm(8, 64, 32, x, w, out, { transB: true });
    expect(out.every((v) => v === 0)).toBe(true);
    dropFromDevice(w);
    expect(cuda.stats().liveBuffers).toBe(before);
  });

  it('does not leak device memory over many calls', () => {
    const free0 = cuda.deviceInfo().freeMemory;
    const a = rand(32 * 32, 9), c = new Float32Array(32 * 32);
    for (let i = 0; i < 20000; i++) backend.gemm(32, 32, 32, a, a, c);
    for (let i = 0; i < 2000; i++) cuda.upload(a).dispose();
    expect(cuda.stats().liveBuffers).toBe(0);
    expect(cuda.deviceInfo().freeMemory).toBeGreaterThan(free0 - 64 * 1024 * 1024);
  });

  it('async gemm and svd resolve with the same results', async () => {
    const a = rand(300 * 200, 10), b = rand(200 * 100, 11);
    const c1 = new Float32Array(300 * 100), c2 = new Float32Array(300 * 100);
    backend.gemm(300, 100, 200, a, b, c1);
    await backend.gemmAsync(300, 100, 200, a, b, c2);
    expect(c2).toEqual(c1);
    const s1 = backend.svd(b, 200, 100, false), s2 = await backend.svdAsync(b, 200, 100, false);
    expect(s2.S).toEqual(s1.S);
  });
});
