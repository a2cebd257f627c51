// The `cpu` backend: the native addon's C++ kernels (kernels/cpu), called through Node-API.
// Thin: options are turned into positional arguments; the addon re-checks everything.

import type { NativeAddon } from './addon.js';
import { checkColStats, checkGemm } from './check.js';
import { ACTIVATION_CODE, DEFAULT_LEAKY_SLOPE, type Backend, type GemmOptions, type SvdResult } from './types.js';

function gemmArgs(m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, opts: GemmOptions = {}) {
  checkGemm(m, n, k, a, b, c, opts);
  return [
    m,
    n,
    k,
    a,
    b,
    c,
    opts.transA ?? false,
    opts.transB ?? false,
    opts.alpha ?? 1,
    opts.beta ?? 0,
    opts.bias ?? null,
    ACTIVATION_CODE[opts.activation ?? 'identity'],
    opts.leakySlope ?? DEFAULT_LEAKY_SLOPE,
  ] as const;
}

export function createCpuBackend(addon: NativeAddon): Backend {
  const wrapSvd = (r: { U: Float32Array; S: Float32Array; V: Float32Array }, m: number, n: number, full: boolean): SvdResult => ({
    ...r,
    m,
    n,
    full,
  });
  const backend: Backend = {
    name: 'cpu',
    gemm(m, n, k, a, b, c, opts) {
      addon.gemm(...gemmArgs(m, n, k, a, b, c, opts));
    },
    gemmAsync(m, n, k, a, b, c, opts) {
      try {
        return addon.gemmAsync(...gemmArgs(m, n, k, a, b, c, opts));
      } catch (err) {
        return Promise.reject(err);
      }
    },
    colStats(x, rows, cols, act, acc, opts = {}) {
      checkColStats(x, rows, cols, act, acc);
      addon.colStats(x, rows, cols, ACTIVATION_CODE[act], opts.leakySlope ?? DEFAULT_LEAKY_SLOPE, acc.sum, acc.sumAbs, acc.zeros, acc.max, opts.writeBack ?? false);
      acc.count += rows;
    },
  };
  if (addon.svd && addon.svdAsync) {
    const svd = addon.svd;
    const svdAsync = addon.svdAsync;
    backend.svd = (a, m, n, full) => wrapSvd(svd(a, m, n, full), m, n, full);
    backend.svdAsync = async (a, m, n, full) => wrapSvd(await svdAsync(a, m, n, full), m, n, full);
  }
  return backend;
}
