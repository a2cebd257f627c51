// The `cuda` backend: the addon's CUDA kernels (kernels/cuda). Available only when the addon
// was compiled with CUDA and a driver and a device are present; otherwise probeCuda says why
// ('not built with CUDA', 'no CUDA driver/device: …').
//
// Memory: device buffers (DeviceBuffer, freed by their JS object's finalizer or dispose()) are
// owned by the arrays that use them. An array marked with keepOnDevice(arr) is uploaded once
// and stays resident: later gemm calls pass its device handle instead of copying it again
// (weights of a model used for inference). Arrays not marked are copied in per call, and only
// results are copied back. After changing a resident array in place, call refreshOnDevice(arr).

import { BackendError } from '../errors.js';
import { loadAddon } from './addon.js';
import { gemmArgs, type CudaAddon, type DeviceBuffer, type NativeAddon, type Operand, type SvdArrays } from './addon-api.js';
import { checkColStats, checkF32, checkGemm, checkSvd } from './check.js';
import { createCpuBackend } from './cpu.js';
import { callNative, callNativeAsync } from './native-error.js';
import { ACTIVATION_CODE, DEFAULT_LEAKY_SLOPE, type Backend, type GemmOptions, type SvdResult } from './types.js';

export type { CudaAddon, CudaDeviceInfo, DeviceBuffer } from './addon-api.js';

/** The CUDA entry points of a loaded addon, or null when it was built without CUDA. */
export function cudaAddon(addon: NativeAddon): CudaAddon | null {
  return addon.cuda ?? null;
}

// Arrays kept resident on the device, keyed weakly: when the array is collected, so is its
// DeviceBuffer (and the finalizer frees the device memory).
const resident = new WeakMap<Float32Array, DeviceBuffer>();
let residentAddon: CudaAddon | null = null;
let allowTF32 = process.env.TRIMNET_CUDA_TF32 === '1';

/**
 * Keeps `arr` resident on the GPU for later calls of the cuda backend (no-op without one).
 * Returns true when it is now resident.
 */
export function keepOnDevice(arr: Float32Array): boolean {
  checkF32(arr, 'arr', 0);
  const cuda = usableCuda();
  if (!cuda) return false;
  if (!resident.has(arr)) resident.set(arr, callNative(() => cuda.upload(arr)));
  return true;
}

function usableCuda(): CudaAddon | null {
  if (residentAddon) return residentAddon;
  const { addon } = loadAddon();
  if (!addon) return null;
  const info = addon.info();
  if (!info.cudaCompiled || info.cudaStatus !== 'ok') return null;
  residentAddon = cudaAddon(addon);
  return residentAddon;
}

/** Copies the new contents of a resident array (changed in place) to its device buffer. */
export function refreshOnDevice(arr: Float32Array): void {
  resident.get(arr)?.update(arr);
}

/** Frees the device copy of `arr` now (it is also freed when `arr` is collected). */
export function dropFromDevice(arr: Float32Array): void {
  const buf = resident.get(arr);
  if (buf) {
    resident.delete(arr);
    buf.dispose();
  }
}

/** TF32 tensor cores for the cuda backend's gemm (sm_80+): faster, ~1e-3 relative error. Off by default. */
export function setCudaAllowTF32(on: boolean): void {
  if (typeof on !== 'boolean') throw new BackendError(`Expected a boolean for allowTF32 but received ${typeof on}`);
  allowTF32 = on;
}

const dev = (x: Float32Array): Operand => resident.get(x) ?? x;

/** gemm's 14 positional arguments: resident device copies for A, B and bias; C always comes back to the host array. */
function cudaGemmArgs(m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, opts: GemmOptions) {
  checkGemm(m, n, k, a, b, c, opts);
  return [...gemmArgs<Operand>(m, n, k, dev(a), dev(b), c, opts, opts.bias ? dev(opts.bias) : null), allowTF32] as const;
}

/**
 * The cuda backend over exports.cuda. The ops without a CUDA kernel (a full SVD of a non-square
 * matrix, whose extra basis vectors Jacobi does not produce; the float64 solves; the finite
 * check) run on the addon's CPU kernels, `cpu`: native code of the same addon.
 */
export function createCudaBackend(cuda: CudaAddon, cpu: Backend): Backend {
  const wrap = (r: SvdArrays, m: number, n: number, full: boolean): SvdResult => ({ U: r.U, S: r.S, V: r.V, m, n, full });
  return {
    name: 'cuda',
    gemm(m, n, k, a, b, c, opts = {}) {
      const args = cudaGemmArgs(m, n, k, a, b, c, opts);
      callNative(() => cuda.gemm(...args));
    },
    gemmAsync(m, n, k, a, b, c, opts = {}) {
      return callNativeAsync(() => cuda.gemmAsync(...cudaGemmArgs(m, n, k, a, b, c, opts)));
    },
    colStats(x, rows, cols, act, acc, opts = {}) {
      checkColStats(x, rows, cols, act, acc);
      const writeBack = opts.writeBack ?? false;
      // With writeBack the host array is the output: never use a resident copy for it.
      callNative(() =>
        cuda.colStats(writeBack ? x : dev(x), rows, cols, ACTIVATION_CODE[act], opts.leakySlope ?? DEFAULT_LEAKY_SLOPE, acc.sum, acc.sumAbs, acc.zeros, acc.max, writeBack),
      );
      if (writeBack) resident.get(x)?.update(x);
      acc.count += rows;
    },
    svd(a, m, n, full) {
      checkSvd(a, m, n, full);
      if (full && m !== n) return cpu.svd(a, m, n, full);
      return wrap(callNative(() => cuda.svd(a, m, n)), m, n, full);
    },
    async svdAsync(a, m, n, full) {
      checkSvd(a, m, n, full);
      if (full && m !== n) return cpu.svdAsync(a, m, n, full);
      return wrap(await callNativeAsync(() => cuda.svdAsync(a, m, n)), m, n, full);
    },
    cholesky64: cpu.cholesky64,
    solveLower64: cpu.solveLower64,
    firstNonFinite: cpu.firstNonFinite,
  };
}

export function probeCuda(addon: NativeAddon): { backend: Backend | null; reason?: string } {
  const info = addon.info();
  if (!info.cudaCompiled) return { backend: null, reason: 'not built with CUDA' };
  if (info.cudaStatus !== 'ok') return { backend: null, reason: info.cudaStatus };
  const cuda = cudaAddon(addon);
  if (!cuda) return { backend: null, reason: 'addon reports CUDA but exports no cuda entry points' };
  residentAddon = cuda;
  return { backend: createCudaBackend(cuda, createCpuBackend(addon)) };
}
