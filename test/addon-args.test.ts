// The addon checks every argument at the Node-API boundary (native/args.h, native/*_binding.cpp)
// and throws a clear JS error instead of touching memory it was not given. These tests call the
// addon directly, past the TypeScript checks, as a careless caller would.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAddon, packageRoot, type NativeAddon } from '../src/backend/addon.js';
import { ENTRY_POINTS, signatureMismatches } from '../src/backend/addon-api.js';
import { createCpuBackend } from '../src/backend/cpu.js';
import { fromNative } from '../src/backend/native-error.js';
import { ArgumentError, BackendError, CudaError, DataError, OutOfMemory } from '../src/errors.js';

const { addon, error } = loadAddon();

type GemmArgs = Parameters<NativeAddon['gemm']>;

// A valid 2×3·3×4 call; each case swaps one argument for a bad one.
function good(): unknown[] {
  return [2, 4, 3, new Float32Array(6), new Float32Array(12), new Float32Array(8), false, false, 1, 0, null, 0, 0.01];
}
function gemmWith(i: number, v: unknown, base = good()): unknown[] {
  const args = base.slice();
  args[i] = v;
  return args;
}
const call = (a: NativeAddon, args: unknown[]) => () => a.gemm(...(args as GemmArgs));

describe.skipIf(!addon)('addon argument checks', () => {
  const a = addon!;

  it('a valid call works (and still works after rejected ones)', () => {
    const args = good();
    (args[3] as Float32Array).fill(1);
    (args[4] as Float32Array).fill(2);
    a.gemm(...(args as GemmArgs));
    expect(Array.from(args[5] as Float32Array)).toEqual(new Array(8).fill(6));
  });

  it('wrong argument counts', () => {
    expect(call(a, good().slice(0, 12))).toThrow(/gemm expects 13 arguments, received 12/);
    expect(call(a, [...good(), 1])).toThrow(/gemm expects 13 arguments, received 14/);
    expect(call(a, [])).toThrow(TypeError);
    expect(() => (a.colStats as (...x: unknown[]) => void)(new Float32Array(1))).toThrow(/colStats expects 10 arguments/);
  });

  it('wrong types', () => {
    expect(call(a, gemmWith(0, '2'))).toThrow(/Expected a non-negative 32-bit integer for m but received a string/);
    expect(call(a, gemmWith(1, null))).toThrow(/for n but received null/);
    expect(call(a, gemmWith(2, undefined))).toThrow(/for k but received undefined/);
    expect(call(a, gemmWith(3, new Float64Array(6)))).toThrow(/Expected a Float32Array for A but received a typed array of another element type/);
    expect(call(a, gemmWith(4, Array.from({ length: 12 }, () => 0)))).toThrow(/Expected a Float32Array for B but received an array/);
    expect(call(a, gemmWith(5, {}))).toThrow(/Expected a Float32Array for C but received an object/);
    expect(call(a, gemmWith(6, 1))).toThrow(/Expected a boolean for transA but received the number 1/);
    expect(call(a, gemmWith(7, 'yes'))).toThrow(/Expected a boolean for transB/);
    expect(call(a, gemmWith(8, '1'))).toThrow(/Expected a finite number for alpha but received a string/);
    expect(call(a, gemmWith(10, new Float64Array(4)))).toThrow(/Expected a Float32Array for bias/);
    expect(call(a, gemmWith(11, 'relu'))).toThrow(/Expected an integer for activation but received a string/);
    for (const i of [0, 3, 6, 8]) expect(call(a, gemmWith(i, 1n))).toThrow(TypeError);
  });

  it('short buffers', () => {
    expect(call(a, gemmWith(3, new Float32Array(5)))).toThrow(/A has 5 elements but the call needs 6/);
    expect(call(a, gemmWith(4, new Float32Array(11)))).toThrow(/B has 11 elements but the call needs 12/);
    expect(call(a, gemmWith(5, new Float32Array(7)))).toThrow(/C has 7 elements but the call needs 8/);
    expect(call(a, gemmWith(10, new Float32Array(3)))).toThrow(/bias has 3 elements but the call needs 4/);
    expect(call(a, gemmWith(5, new Float32Array(0)))).toThrow(RangeError);
  });

  it('negative, huge, non-integer and non-finite sizes and numbers', () => {
    expect(call(a, gemmWith(0, -1))).toThrow(/Expected a non-negative 32-bit integer for m but received -1/);
    expect(call(a, gemmWith(1, 2 ** 31))).toThrow(/for n but received 2147483648/);
    expect(call(a, gemmWith(2, 1.5))).toThrow(/for k but received 1.5/);
    expect(call(a, gemmWith(0, NaN))).toThrow(/for m but received NaN/);
    expect(call(a, gemmWith(0, Infinity))).toThrow(RangeError);
    expect(call(a, gemmWith(8, NaN))).toThrow(/Expected a finite number for alpha but received NaN/);
    expect(call(a, gemmWith(9, Infinity))).toThrow(/Expected a finite number for beta but received Infinity/);
    expect(call(a, gemmWith(12, -Infinity))).toThrow(/for slope/);
    expect(call(a, gemmWith(11, 6))).toThrow(/Expected an integer in \[0, 5\] for activation but received 6/);
    expect(call(a, gemmWith(11, -1))).toThrow(RangeError);
    expect(call(a, gemmWith(11, 2.5))).toThrow(RangeError);
  });

  it('overflow of the size products is refused before any buffer is looked at', () => {
    const tiny = new Float32Array(1);
    const big = (m: number, n: number, k: number) => [m, n, k, tiny, tiny, tiny, false, false, 1, 0, null, 0, 0.01];
    expect(call(a, big(2 ** 30, 1, 2 ** 30))).toThrow(/Sizes overflow: m\*k is too large/);
    expect(call(a, big(1, 2 ** 30, 2 ** 30))).toThrow(/Sizes overflow: k\*n is too large/);
    expect(call(a, big(2 ** 30, 2 ** 30, 1))).toThrow(/Sizes overflow: m\*n is too large/);
    expect(call(a, big(2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1))).toThrow(/Sizes overflow/);
    // Large but representable sizes then fail on the short buffers, not in the kernel.
    expect(call(a, big(100000, 100000, 1))).toThrow(/A has 1 elements but the call needs 100000/);
  });

  it('C sharing memory with A or B is refused; disjoint views of one buffer are fine', () => {
    const buf = new Float32Array(64);
    const args = (A: Float32Array, B: Float32Array, C: Float32Array) => [2, 4, 3, A, B, C, false, false, 1, 0, null, 0, 0.01];
    expect(call(a, args(buf.subarray(0, 6), buf.subarray(20, 32), buf.subarray(0, 8)))).toThrow(/C must not share memory with A or B/);
    expect(call(a, args(buf.subarray(0, 6), buf.subarray(20, 32), buf.subarray(5, 13)))).toThrow(/C must not share memory/);
    expect(call(a, args(buf.subarray(40, 46), buf.subarray(20, 32), buf.subarray(25, 33)))).toThrow(/C must not share memory/);
    const same = new Float32Array(12);
    expect(call(a, args(same, same, same))).toThrow(/C must not share memory/);
    buf.fill(1);
    a.gemm(...(args(buf.subarray(0, 6), buf.subarray(6, 18), buf.subarray(18, 26)) as GemmArgs));
    expect(Array.from(buf.subarray(18, 26))).toEqual(new Array(8).fill(3));
  });

  it('gemmAsync checks synchronously and throws before queueing any work', () => {
    expect(() => a.gemmAsync(...(gemmWith(3, new Float32Array(2)) as GemmArgs))).toThrow(/A has 2 elements/);
    expect(() => a.gemmAsync(...(gemmWith(0, -3) as GemmArgs))).toThrow(RangeError);
  });

  it('colStats arguments', () => {
    const cols = 3;
    const ok = () => [new Float32Array(6), 2, cols, 1, 0.01, new Float64Array(cols), new Float64Array(cols), new Float64Array(cols), new Float32Array(cols), false];
    const cs = (args: unknown[]) => () => (a.colStats as (...x: unknown[]) => void)(...args);
    const w = (i: number, v: unknown) => {
      const x = ok();
      x[i] = v;
      return x;
    };
    expect(cs(ok())).not.toThrow();
    expect(cs(w(0, new Float32Array(5)))).toThrow(/x has 5 elements but the call needs 6/);
    expect(cs(w(5, new Float32Array(cols)))).toThrow(/Expected a Float64Array for sum/);
    expect(cs(w(7, new Float64Array(2)))).toThrow(/zeros has 2 elements but the call needs 3/);
    expect(cs(w(8, new Float64Array(cols)))).toThrow(/Expected a Float32Array for max/);
    expect(cs(w(9, 0))).toThrow(/Expected a boolean for writeBack/);
    expect(cs(w(1, -2))).toThrow(/for rows but received -2/);
    expect(cs(w(3, 9))).toThrow(/for activation/);
    expect(cs([new Float32Array(1), 2 ** 30, 2 ** 30, 0, 0, new Float64Array(1), new Float64Array(1), new Float64Array(1), new Float32Array(1), false])).toThrow(/Sizes overflow: rows\*cols/);
  });

  it('setThreads and info', () => {
    expect(() => a.setThreads(-1)).toThrow(/Expected an integer in \[0, 1024\] for threads but received -1/);
    expect(() => a.setThreads('2' as unknown as number)).toThrow(TypeError);
    const info = a.info();
    expect(typeof info.kernel).toBe('string');
    expect(info.kernel.length).toBeGreaterThan(0);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(Array.isArray(info.cpuFeatures)).toBe(true);
  });
});

describe.skipIf(!addon)('entry points match their typed description (src/backend/addon-api.ts)', () => {
  it('the binding exports the argument lists that addon-api.ts describes', () => {
    expect(signatureMismatches(addon!.signatures, addon!.info().cudaCompiled)).toEqual([]);
    expect(addon!.signatures.gemm).toEqual([...ENTRY_POINTS.gemm]);
    for (const name of Object.keys(ENTRY_POINTS).filter((n) => !n.startsWith('cuda.'))) {
      expect(typeof (addon as unknown as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('a stale binding (other arguments, a missing or an undescribed entry point) is reported', () => {
    const stale: Record<string, string[]> = { ...addon!.signatures, gemm: ENTRY_POINTS.gemm.slice(0, 12) };
    delete stale.svd;
    stale.extra = ['x'];
    const m = signatureMismatches(stale, false);
    expect(m).toHaveLength(3);
    expect(m[0]).toMatch(/^gemm\(m, n, k, .*activation\) where gemm\(.*slope\) is expected$/);
    expect(m[1]).toBe('svd is missing');
    expect(m[2]).toMatch(/^extra is not described/);
    expect(signatureMismatches(undefined, false)).toEqual(['the addon exports no signatures (built before they existed)']);
  });
});

describe('native failures become typed errors with codes', () => {
  const coded = (code: string) => Object.assign(new Error(`failed (${code})`), { code });

  it('maps each code the addon sets (native/errors.h)', () => {
    expect(fromNative(coded('E_OOM'))).toBeInstanceOf(OutOfMemory);
    expect((fromNative(coded('E_OOM')) as OutOfMemory).code).toBe('E_OOM');
    expect(fromNative(coded('E_CUDA'))).toBeInstanceOf(CudaError);
    expect((fromNative(coded('E_CUDA')) as CudaError).code).toBe('E_CUDA');
    expect(fromNative(coded('E_DATA'))).toBeInstanceOf(DataError);
    expect(fromNative(coded('E_BACKEND'))).toBeInstanceOf(BackendError);
    expect(fromNative(new RangeError('Expected …'))).toBeInstanceOf(ArgumentError);
    expect(fromNative(new Error('no code'))).toBeInstanceOf(BackendError);
    expect(fromNative(coded('E_OOM'))).toBeInstanceOf(BackendError); // OutOfMemory and CudaError are BackendErrors
  });

  it.skipIf(!addon)('a kernel exception carries its code through the binding, sync and async', async () => {
    const nan = new Float32Array([1, NaN]);
    let raw: unknown;
    try {
      addon!.svd(nan, 1, 2, false);
    } catch (err) {
      raw = err;
    }
    expect((raw as { code?: string }).code).toBe('E_DATA');
    await expect(addon!.svdAsync(nan, 1, 2, false)).rejects.toMatchObject({ code: 'E_DATA' });
    const cpu = createCpuBackend(addon!);
    expect(() => cpu.svd(nan, 1, 2, false)).toThrow(DataError);
    await expect(cpu.svdAsync(nan, 1, 2, false)).rejects.toBeInstanceOf(DataError);
  });

  // A full SVD of a 2^20×1 matrix asks for a 2^20×2^20 U (4 TiB): std::bad_alloc at once where
  // the kernel refuses allocations beyond RAM + swap (overcommit modes 0 and 2; under mode 1
  // the allocation would succeed lazily, so the case is not run there). Nor under AddressSanitizer
  // (scripts/sanitize.sh), whose allocator aborts the process on a request this size.
  const overcommit = existsSync('/proc/sys/vm/overcommit_memory') ? readFileSync('/proc/sys/vm/overcommit_memory', 'utf8').trim() : '';
  const sanitized = process.env.ASAN_OPTIONS !== undefined || (process.env.LD_PRELOAD ?? '').includes('asan');
  it.runIf(addon !== null && !sanitized && (overcommit === '0' || overcommit === '2'))('std::bad_alloc becomes OutOfMemory (E_OOM), sync and async', async () => {
    const cpu = createCpuBackend(addon!);
    const a = new Float32Array(2 ** 20);
    expect(() => cpu.svd(a, 2 ** 20, 1, true)).toThrow(OutOfMemory);
    expect(() => cpu.svd(a, 2 ** 20, 1, true)).toThrow(/out of memory/);
    await expect(cpu.svdAsync(a, 2 ** 20, 1, true)).rejects.toMatchObject({ name: 'OutOfMemory', code: 'E_OOM' });
  });
});

it('the addon loads here (the build is part of npm install)', () => {
  // Not skipped silently: when the addon is missing this says why.
  expect(error ?? '').toBe('');
  expect(addon).not.toBeNull();
});

describe('TRIMNET_ADDON=none', () => {
  const root = packageRoot();
  const dist = join(root, 'dist', 'src', 'index.js');
  it.skipIf(!existsSync(dist))('importing the library works with the addon disabled, on the js fallback', () => {
    const script = `
      const t = await import(${JSON.stringify(dist)});
      const backends = t.availableBackends();
      const c = t.matmul(t.Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]), t.Tensor.from([1, 0, 0, 1, 1, 1], [3, 2]));
      console.log(JSON.stringify({ backends, backend: t.getBackend().name, c: Array.from(c.data), shape: c.shape }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      env: { ...process.env, TRIMNET_ADDON: 'none', TRIMNET_BACKEND: '' },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      backends: { name: string; available: boolean; reason?: string }[];
      backend: string;
      c: number[];
      shape: number[];
    };
    const cpu = out.backends.find((b) => b.name === 'cpu')!;
    expect(cpu.available).toBe(false);
    expect(cpu.reason).toBe('disabled by TRIMNET_ADDON=none');
    expect(['gpujs', 'js']).toContain(out.backend); // the next in line: gpujs where gpu.js loads, else js
    expect(out.shape).toEqual([2, 2]);
    expect(out.c).toEqual([4, 5, 10, 11]);
  });
});
