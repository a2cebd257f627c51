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
import { loadAddon, type NativeAddon } from './addon.js';
import { checkColStats, checkDim, checkF32, checkGemm } from './check.js';
import { createCpuBackend } from './cpu.js';
import { jsBackend } from './js.js';
import { ACTIVATION_CODE, DEFAULT_LEAKY_SLOPE, type Backend, type GemmOptions, type SvdResult } from './types.js';

/** A Float32 allocation on the GPU, owned by this object (freed when it is collected or disposed). */
export interface DeviceBuffer {
  readonly length: number;
  readonly disposed: boolean;
  /** Copies the contents to a new Float32Array, or into `out`. */
  download(out?: Float32Array): Float32Array;
  /** Replaces the contents (same length). */
  update(data: Float32Array): void;
  /** Frees the device memory now; throws while an async call uses it. */
  dispose(): void;
}

type Operand = Float32Array | DeviceBuffer;

/** The addon's exports.cuda (native/cuda_binding.cpp); arguments are checked again there. */
export interface CudaAddon {
  gemm(m: number, n: number, k: number, a: Operand, b: Operand, c: Operand, transA: boolean, transB: boolean, alpha: number, beta: number, bias: Operand | null, act: number, slope: number, allowTF32: boolean): void;
  gemmAsync(m: number, n: number, k: number, a: Operand, b: Operand, c: Operand, transA: boolean, transB: boolean, alpha: number, beta: number, bias: Operand | null, act: number, slope: number, allowTF32: boolean): Promise<void>;
  colStats(x: Operand, rows: number, cols: number, act: number, slope: number, sum: Float64Array, sumAbs: Float64Array, zeros: Float64Array, max: Float32Array, writeBack: boolean): void;
  svd(a: Float32Array, m: number, n: number): { U: Float32Array; S: Float32Array; V: Float32Array; sweeps: number };
  svdAsync(a: Float32Array, m: number, n: number): Promise<{ U: Float32Array; S: Float32Array; V: Float32Array; sweeps: number }>;
  upload(data: Float32Array): DeviceBuffer;
  deviceInfo(): CudaDeviceInfo;
  stats(): { liveBuffers: number; liveBytes: number };
}

export interface CudaDeviceInfo {
  name: string;
  computeCapability: string;
  smCount: number;
  totalMemory: number;
  freeMemory: number;
  sharedMemoryPerSM: number;
  l2Bytes: number;
  driverVersion: number;
  runtimeVersion: number;
}

/** The CUDA entry points of a loaded addon, or null when it was built without CUDA. */
export function cudaAddon(addon: NativeAddon): CudaAddon | null {
  return addon.cuda ? (addon.cuda as unknown as CudaAddon) : null;
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
  if (!resident.has(arr)) resident.set(arr, cuda.upload(arr));
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

function gemmArgs(m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, opts: GemmOptions = {}) {
  checkGemm(m, n, k, a, b, c, opts);
  return [
    m,
    n,
    k,
    dev(a),
    dev(b),
    c, // the output always comes back to the host array
    opts.transA ?? false,
    opts.transB ?? false,
    opts.alpha ?? 1,
    opts.beta ?? 0,
    opts.bias ? dev(opts.bias) : null,
    ACTIVATION_CODE[opts.activation ?? 'identity'],
    opts.leakySlope ?? DEFAULT_LEAKY_SLOPE,
    allowTF32,
  ] as const;
}

export function createCudaBackend(cuda: CudaAddon, fallbackSvd: NonNullable<Backend['svd']>, fallbackSvdAsync: NonNullable<Backend['svdAsync']>): Backend {
  const wrap = (r: { U: Float32Array; S: Float32Array; V: Float32Array }, m: number, n: number, full: boolean): SvdResult => ({
    U: r.U,
    S: r.S,
    V: r.V,
    m,
    n,
    full,
  });
  const checkSvd = (a: Float32Array, m: number, n: number, full: boolean) => {
    checkDim(m, 'm');
    checkDim(n, 'n');
    checkF32(a, 'a', m * n);
    if (typeof full !== 'boolean') throw new BackendError(`Expected a boolean for full but received ${typeof full}`);
  };
  return {
    name: 'cuda',
    gemm(m, n, k, a, b, c, opts) {
      cuda.gemm(...gemmArgs(m, n, k, a, b, c, opts));
    },
    gemmAsync(m, n, k, a, b, c, opts) {
      try {
        return cuda.gemmAsync(...gemmArgs(m, n, k, a, b, c, opts));
      } catch (err) {
        return Promise.reject(err);
      }
    },
    colStats(x, rows, cols, act, acc, opts = {}) {
      checkColStats(x, rows, cols, act, acc);
      const writeBack = opts.writeBack ?? false;
      // With writeBack the host array is the output: never use a resident copy for it.
      cuda.colStats(writeBack ? x : dev(x), rows, cols, ACTIVATION_CODE[act], opts.leakySlope ?? DEFAULT_LEAKY_SLOPE, acc.sum, acc.sumAbs, acc.zeros, acc.max, writeBack);
      if (writeBack) resident.get(x)?.update(x);
      acc.count += rows;
    },
    // The device computes the thin SVD; a full SVD of a non-square matrix (whose extra basis
    // vectors Jacobi does not produce) goes to the CPU path.
    svd(a, m, n, full) {
      checkSvd(a, m, n, full);
      if (full && m !== n) return fallbackSvd(a, m, n, full);
      return wrap(cuda.svd(a, m, n), m, n, full);
    },
    async svdAsync(a, m, n, full) {
      checkSvd(a, m, n, full);
      if (full && m !== n) return fallbackSvdAsync(a, m, n, full);
      return wrap(await cuda.svdAsync(a, m, n), m, n, full);
    },
  };
}

export function probeCuda(addon: NativeAddon): { backend: Backend | null; reason?: string } {
  const info = addon.info();
  if (!info.cudaCompiled) return { backend: null, reason: 'not built with CUDA' };
  if (info.cudaStatus !== 'ok') return { backend: null, reason: info.cudaStatus };
  const cuda = cudaAddon(addon);
  if (!cuda) return { backend: null, reason: 'addon reports CUDA but exports no cuda entry points' };
  const cpu = createCpuBackend(addon);
  const svd = cpu.svd ?? jsBackend.svd!;
  const svdAsync = cpu.svdAsync ?? jsBackend.svdAsync!;
  residentAddon = cuda;
  return { backend: createCudaBackend(cuda, svd, svdAsync) };
}
