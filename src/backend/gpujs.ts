// The `gpujs` backend: the gpu.js kernels in kernels/gpujs, run by whichever gpu.js backend
// works here. gpu.js is an optional dependency and is loaded lazily, so a machine where it is
// missing or broken still imports trimnet; probeGpujs() then says why in `reason`.
//
// Which gpu.js mode runs (TRIMNET_GPUJS_MODE, default 'auto'):
//   auto       gpu.js's own choice: headless-gl (a real GPU through the optional native `gl`
//              module) when it works, else WebAssembly (f32x4 SIMD, pure wasm, no native code).
//              npm 11 does not run `gl`'s install script unless allowScripts approves it, so on a
//              plain `npm install` this is 'webasm'.
//   webasm     gpu.js's WebAssembly backend. gemmAsync splits large products over its
//              worker_threads pool, off the event loop.
//   cpu        gpu.js's CPU mode: the kernel transpiled to a plain JavaScript loop nest.
//   headlessgl force headless-gl (needs `gl` built, a GPU/Mesa and a display).
// gpu.js's `webgpu` mode is not used: it is async-only, and its Node binding (the `webgpu`
// package's prebuilt Dawn) needs glibc >= 2.38.
//
// Kernels are compiled once per shape and options and kept in a bounded LRU cache; the least
// recently used kernel is destroyed when the cache is full. Scalars that vary from call to call
// (alpha, beta, leaky slope) are kernel arguments, not compile-time constants, so they do not
// multiply compilations. Empty shapes never reach gpu.js.

import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { STATS_BLOCK, activateKernel, statsKernel } from '../../kernels/gpujs/colstats.js';
import { gpuActivate, gpuErf } from '../../kernels/gpujs/activation.js';
import { gemmConstants, gemmKernel } from '../../kernels/gpujs/gemm.js';
import { BackendError } from '../errors.js';
import { activate } from './activation.js';
import { checkColStats, checkGemm } from './check.js';
import { jsReferenceOps } from './js.js';
import { ACTIVATION_CODE, DEFAULT_LEAKY_SLOPE, type Backend, type ColStats, type GemmOptions } from './types.js';

export const GPUJS_MODES = ['auto', 'webasm', 'cpu', 'headlessgl'] as const;
export type GpujsMode = (typeof GPUJS_MODES)[number];

/** The gpujs backend, with what it runs on and a view of its kernel cache. */
export interface GpujsBackend extends Backend {
  readonly name: 'gpujs';
  /** The gpu.js mode the kernels really run in ('webasm', 'cpu', 'headlessgl', ...). */
  readonly mode: string;
  /** The gpu.js package version. */
  readonly version: string;
  /** Compiled kernels now cached, and the bound. */
  cacheStats(): { size: number; limit: number; compiled: number };
  /** Destroys every cached kernel (and worker pools); the backend stays usable. */
  clearCache(): void;
}

export interface GpujsProbeOptions {
  /** gpu.js mode; default TRIMNET_GPUJS_MODE, else 'auto'. */
  mode?: GpujsMode;
  /** Most compiled kernels kept (default 64). */
  cacheLimit?: number;
  /** Module to load instead of 'gpu.js' (tests use it to see the reason when it is missing). */
  moduleId?: string;
}

export type GpujsProbe = { backend: GpujsBackend; reason?: undefined } | { backend: null; reason: string };

// --- the slice of gpu.js's API used here (typed locally: gpu.js is optional, so its types may be
// missing at build time) ---
type KernelFn = (this: never, ...args: never[]) => number;
interface GpuKernel {
  (...args: unknown[]): unknown;
  destroy(removeCanvasReferences?: boolean): void;
  kernel?: { constructor: { mode?: string; name?: string } };
}
interface GpuInstance {
  mode?: string;
  Kernel?: { mode?: string; name?: string } | null;
  createKernel(fn: KernelFn, settings: Record<string, unknown>): GpuKernel;
  destroy(): unknown;
}
interface GpuJsModule {
  GPU: new (settings?: { mode?: string }) => GpuInstance;
}

const SYNC_ASYNC_CUTOFF = 1 << 21; // gemmAsync below this many multiply-adds runs inline
const dummy = new Float32Array(1);

function loadGpuJs(moduleId: string): { mod: GpuJsModule; version: string } {
  const require = createRequire(import.meta.url);
  let mod: unknown;
  try {
    mod = require(moduleId);
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    const missing = (err as { code?: string } | null)?.code === 'MODULE_NOT_FOUND';
    throw new Error(
      missing
        ? `gpu.js is not installed (it is an optional dependency; \`npm install gpu.js\` adds it): ${msg}`
        : `gpu.js failed to load: ${msg}`,
    );
  }
  if (typeof (mod as Partial<GpuJsModule> | null)?.GPU !== 'function') throw new Error(`gpu.js failed to load: '${moduleId}' has no GPU class`);
  let version = 'unknown';
  try {
    version = (require(`${moduleId}/package.json`) as { version?: string }).version ?? version;
  } catch {
    // a stripped install without package.json: the version stays unknown
  }
  return { mod: mod as GpuJsModule, version };
}

/** Why headless-gl is out: its native `gl` module is missing or does not load, or it loads
 *  but cannot open a GL context. */
function headlessGlReason(moduleId: string): string {
  try {
    const fromGpuJs = createRequire(createRequire(import.meta.url).resolve(moduleId));
    const gl = fromGpuJs('gl') as (w: number, h: number) => unknown;
    return gl(1, 1) ? 'headless-gl loads and opens a context' : 'headless-gl loads but cannot open a GL context (no GPU/Mesa or no display)';
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return (
      `headless-gl's native module 'gl' does not load: ${msg}. It is an optional dependency of gpu.js whose ` +
      'install script npm 11 skips unless package.json allowScripts approves it, and it needs a GL context'
    );
  }
}

function modeFromEnv(): GpujsMode {
  const v = process.env.TRIMNET_GPUJS_MODE;
  if (v === undefined || v === '') return 'auto';
  if (!(GPUJS_MODES as readonly string[]).includes(v)) {
    throw new Error(`Expected one of ${GPUJS_MODES.join(', ')} for TRIMNET_GPUJS_MODE but received ${JSON.stringify(v)}`);
  }
  return v as GpujsMode;
}

/** Loads gpu.js, builds the backend and checks it on a small product; never throws. */
export function probeGpujs(opts: GpujsProbeOptions = {}): GpujsProbe {
  let gpu: GpuInstance | null = null;
  try {
    const mode = opts.mode ?? modeFromEnv();
    const { mod, version } = loadGpuJs(opts.moduleId ?? 'gpu.js');
    try {
      gpu = new mod.GPU({ mode: mode === 'auto' ? 'gpu' : mode });
    } catch (err) {
      const hint = mode === 'headlessgl' ? ` (${headlessGlReason(opts.moduleId ?? 'gpu.js')})` : '';
      throw new Error(`gpu.js could not start in mode '${mode}': ${err instanceof Error ? err.message : String(err)}${hint}`);
    }
    const backend = createGpujsBackend(gpu, version, opts.cacheLimit ?? 64);
    selfTest(backend);
    return { backend };
  } catch (err) {
    try {
      gpu?.destroy();
    } catch {
      // already failing: keep the first reason
    }
    return { backend: null, reason: err instanceof Error ? err.message : String(err) };
  }
}

/** A 2×3×2 product with bias + gelu against the js formulas: catches a gpu.js that runs but
 *  computes nonsense (a GL driver without float textures, say). */
function selfTest(backend: GpujsBackend): void {
  const a = new Float32Array([1, -2, 0.5, 3]);
  const b = new Float32Array([0.25, -1, 2, 1.5, 0.5, -0.75]);
  const bias = new Float32Array([0.1, -0.2, 0.3]);
  const c = new Float32Array(6);
  backend.gemm(2, 3, 2, a, b, c, { bias, activation: 'gelu' });
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let p = 0; p < 2; p++) s += a[i * 2 + p]! * b[p * 3 + j]!;
      const want = activate('gelu', s + bias[j]!);
      const got = c[i * 3 + j]!;
      if (!(Math.abs(got - want) <= 1e-5 * (1 + Math.abs(want)))) {
        throw new Error(`gpu.js (mode ${backend.mode}) failed its self-test: C[${i}][${j}] = ${got}, expected ${want}`);
      }
    }
  }
}

/** Row-major copy of a gpu.js 2-D result (an array of Float32Array rows) into `c`. */
function copyRows(out: unknown, c: Float32Array, rows: number, cols: number): void {
  const r = out as ArrayLike<Float32Array>;
  if (rows > 0 && (r.length !== rows || r[0]!.length !== cols)) {
    throw new BackendError(`gpu.js returned a ${r.length}×${r[0]?.length} result where ${rows}×${cols} was expected`);
  }
  for (let i = 0; i < rows; i++) c.set(r[i]!, i * cols);
}

function createGpujsBackend(gpu: GpuInstance, version: string, cacheLimit: number): GpujsBackend {
  if (!Number.isInteger(cacheLimit) || cacheLimit < 1) throw new Error(`Expected a positive integer for cacheLimit but received ${cacheLimit}`);
  const cache = new Map<string, GpuKernel>(); // insertion order = recency (LRU)
  let compiled = 0;
  let mode = gpu.Kernel?.mode ?? gpu.mode ?? 'unknown';
  const threads = availableParallelism();

  function kernel(key: string, make: () => GpuKernel): GpuKernel {
    let k = cache.get(key);
    if (k) {
      cache.delete(key); // move to the most recent end
      cache.set(key, k);
      return k;
    }
    while (cache.size >= cacheLimit) {
      const [oldKey, old] = cache.entries().next().value as [string, GpuKernel];
      cache.delete(oldKey);
      old.destroy();
    }
    k = make();
    compiled++;
    cache.set(key, k);
    return k;
  }

  /** Runs a compiled kernel; a gpu.js failure becomes a BackendError that names the call. */
  function call(k: GpuKernel, what: string, args: unknown[]): unknown {
    try {
      return k(...args);
    } catch (err) {
      throw new BackendError(`gpu.js (mode ${mode}) failed on ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  function noteMode(k: GpuKernel): void {
    const m = k.kernel?.constructor.mode;
    if (m) mode = m;
  }

  const helpers = [gpuErf, gpuActivate] as unknown as KernelFn[];

  function gemmKernelFor(m: number, n: number, k: number, opts: GemmOptions, threaded: boolean): GpuKernel {
    const constants = gemmConstants(m, n, k, {
      transA: opts.transA ?? false,
      transB: opts.transB ?? false,
      useBias: opts.bias !== undefined,
      useC: (opts.beta ?? 0) !== 0,
      act: ACTIVATION_CODE[opts.activation ?? 'identity'],
    });
    const key = `gemm|${threaded ? 'async' : 'sync'}|${Object.values(constants).join('|')}`;
    return kernel(key, () =>
      gpu.createKernel(gemmKernel as unknown as KernelFn, {
        output: [n, m],
        constants,
        functions: helpers,
        argumentTypes: { a: 'Array', b: 'Array', c: 'Array', bias: 'Array', alpha: 'Float', beta: 'Float', slope: 'Float' },
        precision: 'single',
        tactic: 'precision',
        ...(threaded ? { asyncMode: true, poolSize: threads } : {}),
      }),
    );
  }

  /** C = act(beta·C + bias) — the whole product when k = 0 (op(A)·op(B) is all zeros). */
  function epilogueOnly(m: number, n: number, c: Float32Array, opts: GemmOptions): void {
    const { beta = 0, bias, activation = 'identity', leakySlope = DEFAULT_LEAKY_SLOPE } = opts;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let v = 0;
        if (beta !== 0) v += beta * c[i * n + j]!;
        if (bias) v += bias[j]!;
        c[i * n + j] = activate(activation, v, leakySlope);
      }
    }
  }

  function gemmArgs(m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, opts: GemmOptions): unknown[] {
    return [
      a.subarray(0, m * k),
      b.subarray(0, k * n),
      (opts.beta ?? 0) !== 0 ? c.subarray(0, m * n) : dummy,
      opts.bias ? opts.bias.subarray(0, n) : dummy,
      opts.alpha ?? 1,
      opts.beta ?? 0,
      opts.leakySlope ?? DEFAULT_LEAKY_SLOPE,
    ];
  }

  const backend: GpujsBackend = {
    // No gpu.js kernels for these: the js reference runs them (never the addon's native code).
    ...jsReferenceOps,
    name: 'gpujs',
    version,
    get mode() {
      return mode;
    },

    gemm(m, n, k, a, b, c, opts = {}) {
      checkGemm(m, n, k, a, b, c, opts);
      if (m === 0 || n === 0) return;
      if (k === 0) return epilogueOnly(m, n, c, opts);
      const kern = gemmKernelFor(m, n, k, opts, false);
      const out = call(kern, `gemm ${m}×${n}×${k}`, gemmArgs(m, n, k, a, b, c, opts));
      noteMode(kern);
      copyRows(out, c, m, n);
    },

    async gemmAsync(m, n, k, a, b, c, opts = {}) {
      checkGemm(m, n, k, a, b, c, opts);
      // Small products, and modes without a worker pool, run inline: a pool round trip would
      // cost more than the product.
      if (mode !== 'webasm' || m * n * k < SYNC_ASYNC_CUTOFF || m * n < 4096) return backend.gemm(m, n, k, a, b, c, opts);
      const kern = gemmKernelFor(m, n, k, opts, true);
      let out: unknown;
      try {
        out = await (kern(...gemmArgs(m, n, k, a, b, c, opts)) as Promise<unknown>);
      } catch (err) {
        throw new BackendError(`gpu.js (mode ${mode}) failed on gemmAsync ${m}×${n}×${k}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      copyRows(out, c, m, n);
    },

    colStats(x, rows, cols, act, acc: ColStats, opts = {}) {
      checkColStats(x, rows, cols, act, acc);
      const slope = opts.leakySlope ?? DEFAULT_LEAKY_SLOPE;
      if (rows > 0 && cols > 0) {
        const size = rows * cols;
        let y = x.subarray(0, size);
        if (act !== 'identity') {
          const code = ACTIVATION_CODE[act];
          const ak = kernel(`act|${size}|${code}`, () =>
            gpu.createKernel(activateKernel as unknown as KernelFn, {
              output: [size],
              constants: { act: code },
              functions: helpers,
              argumentTypes: { x: 'Array', slope: 'Float' },
              precision: 'single',
              tactic: 'precision',
            }),
          );
          y = call(ak, `colStats activation ${rows}×${cols}`, [y, slope]) as Float32Array;
          noteMode(ak);
          if (opts.writeBack) x.set(y);
        }
        const blocks = Math.ceil(rows / STATS_BLOCK);
        const sk = kernel(`stats|${rows}|${cols}`, () =>
          gpu.createKernel(statsKernel as unknown as KernelFn, {
            output: [cols, 4 * blocks],
            constants: { rows, cols, block: STATS_BLOCK },
            argumentTypes: { y: 'Array' },
            precision: 'single',
            tactic: 'precision',
          }),
        );
        const out = call(sk, `colStats ${rows}×${cols}`, [y]) as ArrayLike<Float32Array>;
        noteMode(sk);
        for (let blk = 0; blk < blocks; blk++) {
          const sum = out[4 * blk]!;
          const sumAbs = out[4 * blk + 1]!;
          const zeros = out[4 * blk + 2]!;
          const max = out[4 * blk + 3]!;
          for (let j = 0; j < cols; j++) {
            acc.sum[j]! += sum[j]!;
            acc.sumAbs[j]! += sumAbs[j]!;
            acc.zeros[j]! += zeros[j]!;
            if (max[j]! > acc.max[j]!) acc.max[j] = max[j]!;
          }
        }
      }
      acc.count += rows;
    },

    cacheStats() {
      return { size: cache.size, limit: cacheLimit, compiled };
    },

    clearCache() {
      for (const k of cache.values()) k.destroy();
      cache.clear();
    },
  };
  return backend;
}
