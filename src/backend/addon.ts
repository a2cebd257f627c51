// Loads the native addon once, like better-sqlite3's binding loader: explicit path
// (TRIMNET_ADDON) -> local Release build -> local Debug build. Never throws: a missing or
// broken addon is recorded with its reason and the library falls back.
// TRIMNET_ADDON=none disables the addon (reason 'disabled by TRIMNET_ADDON=none').

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the C++ side exports (native/addon.cpp). Arguments are checked again there. */
export interface NativeAddon {
  info(): {
    version: string;
    cudaCompiled: boolean;
    cudaStatus: string; // 'ok' or why the device can't be used
    cpuFeatures: string[];
    kernel: string; // the GEMM micro-kernel chosen at run time
    threads: number;
    l2CacheBytes: number; // per-core L2 the GEMM blocks for (cpuid, or TRIMNET_L2_KB)
  };
  setThreads(n: number): void;
  gemm(m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, transA: boolean, transB: boolean, alpha: number, beta: number, bias: Float32Array | null, act: number, slope: number): void;
  gemmAsync(m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, transA: boolean, transB: boolean, alpha: number, beta: number, bias: Float32Array | null, act: number, slope: number): Promise<void>;
  colStats(x: Float32Array, rows: number, cols: number, act: number, slope: number, sum: Float64Array, sumAbs: Float64Array, zeros: Float64Array, max: Float32Array, writeBack: boolean): void;
  svd?(a: Float32Array, m: number, n: number, full: boolean): { U: Float32Array; S: Float32Array; V: Float32Array };
  svdAsync?(a: Float32Array, m: number, n: number, full: boolean): Promise<{ U: Float32Array; S: Float32Array; V: Float32Array }>;
  /** Float64 Cholesky in place (failedAt −1 or the first non-positive pivot's column) and L⁻¹X / L⁻ᵀX (kernels/cpu/dense64.h). */
  cholesky64?(a: Float64Array, n: number, minPivot: number): { failedAt: number; pivot: number };
  solveLower64?(l: Float64Array, n: number, x: Float64Array, k: number, transposed: boolean): void;
  /** Index of the first NaN/±Infinity in x, or −1 (kernels/cpu/finite.h). */
  firstNonFinite?(x: Float32Array): number;
  /** CUDA entry points, present when built with CUDA (kernels/cuda). */
  cuda?: Record<string, (...args: never[]) => unknown>;
}

export interface AddonLoad {
  addon: NativeAddon | null;
  path: string | null;
  error: string | null;
  /** True when TRIMNET_ADDON=none turned the addon off (error then says so). */
  disabled?: boolean;
}

let cached: AddonLoad | null = null;

export function packageRoot(): string {
  // dist/src/backend/addon.js -> package root; also works from src/backend when run by vitest.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'CMakeLists.txt'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export function loadAddon(): AddonLoad {
  if (cached) return cached;
  if (process.env.TRIMNET_ADDON === 'none') {
    cached = { addon: null, path: null, error: 'disabled by TRIMNET_ADDON=none', disabled: true };
    return cached;
  }
  const root = packageRoot();
  const candidates = [
    process.env.TRIMNET_ADDON,
    join(root, 'build', 'Release', 'trimnet.node'),
    join(root, 'build', 'Debug', 'trimnet.node'),
  ].filter((p): p is string => typeof p === 'string' && p.length > 0);
  const require = createRequire(import.meta.url);
  const errors: string[] = [];
  for (const path of candidates) {
    if (!existsSync(path)) {
      if (path === process.env.TRIMNET_ADDON) errors.push(`${path}: no such file`);
      continue;
    }
    try {
      const addon = require(path) as NativeAddon;
      cached = { addon, path, error: null };
      return cached;
    } catch (err) {
      errors.push(`${path}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
  }
  cached = {
    addon: null,
    path: null,
    error: errors.length ? errors.join('; ') : 'not built (run `npm run build:native`)',
  };
  return cached;
}
