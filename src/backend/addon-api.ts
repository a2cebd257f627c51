// The typed description of every entry point of the native addon (native/*_binding.cpp), in one
// place: argument names (the same lists as native/signatures.h, which the addon exports as
// `signatures`; loadAddon refuses a binding whose lists differ), their TypeScript types, and the
// one function that turns GemmOptions into the positional gemm arguments for the CPU and the
// CUDA entry points. Arguments are checked again on the C++ side (native/args.h).

import { ACTIVATION_CODE, DEFAULT_LEAKY_SLOPE, type GemmOptions } from './types.js';

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

/** What a gemm entry point reads: a host array, or (CUDA only) a resident device buffer. */
export type Operand = Float32Array | DeviceBuffer;

const GEMM_ARGS = ['m', 'n', 'k', 'A', 'B', 'C', 'transA', 'transB', 'alpha', 'beta', 'bias', 'activation', 'slope'] as const;
const COLSTATS_ARGS = ['x', 'rows', 'cols', 'activation', 'slope', 'sum', 'sumAbs', 'zeros', 'max', 'writeBack'] as const;

/** Argument names of each entry point, as native/signatures.h declares them ('cuda.' = exports.cuda). */
export const ENTRY_POINTS = {
  info: [],
  setThreads: ['threads'],
  gemm: GEMM_ARGS,
  gemmAsync: GEMM_ARGS,
  colStats: COLSTATS_ARGS,
  svd: ['A', 'm', 'n', 'full'],
  svdAsync: ['A', 'm', 'n', 'full'],
  cholesky64: ['A', 'n', 'minPivot'],
  solveLower64: ['L', 'n', 'X', 'k', 'transposed'],
  firstNonFinite: ['x'],
  mlpPlan: ['weights', 'biases', 'sizes', 'activations', 'slopes', 'frozen'],
  mlpForwardOne: ['plan', 'x', 'out'],
  mlpForwardRows: ['plan', 'x', 'rows', 'out'],
  'cuda.gemm': [...GEMM_ARGS, 'allowTF32'],
  'cuda.gemmAsync': [...GEMM_ARGS, 'allowTF32'],
  'cuda.colStats': COLSTATS_ARGS,
  'cuda.svd': ['A', 'm', 'n'],
  'cuda.svdAsync': ['A', 'm', 'n'],
  'cuda.upload': ['data'],
  'cuda.deviceInfo': [],
  'cuda.stats': [],
} as const satisfies Record<string, readonly string[]>;

/** The positional gemm arguments, named as in ENTRY_POINTS.gemm; T is the operand type. */
export type GemmArgs<T = Float32Array> = [
  m: number,
  n: number,
  k: number,
  A: T,
  B: T,
  C: T,
  transA: boolean,
  transB: boolean,
  alpha: number,
  beta: number,
  bias: T | null,
  activation: number,
  slope: number,
];

/** colStats(x, rows, cols, activation, slope, sum, sumAbs, zeros, max, writeBack) */
export type ColStatsArgs<T = Float32Array> = [
  x: T,
  rows: number,
  cols: number,
  activation: number,
  slope: number,
  sum: Float64Array,
  sumAbs: Float64Array,
  zeros: Float64Array,
  max: Float32Array,
  writeBack: boolean,
];

export interface SvdArrays {
  U: Float32Array;
  S: Float32Array;
  V: Float32Array;
}

export interface AddonInfo {
  version: string;
  cudaCompiled: boolean;
  cudaStatus: string; // 'ok' or why the device can't be used
  cpuFeatures: string[];
  kernel: string; // the GEMM micro-kernel chosen at run time
  threads: number;
  l2CacheBytes: number; // per-core L2 the GEMM blocks for (cpuid, or TRIMNET_L2_KB)
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

/** exports.cuda (native/cuda_binding.cpp), present when the addon was built with CUDA. */
export interface CudaAddon {
  gemm(...args: [...GemmArgs<Operand>, allowTF32: boolean]): void;
  gemmAsync(...args: [...GemmArgs<Operand>, allowTF32: boolean]): Promise<void>;
  colStats(...args: ColStatsArgs<Operand>): void;
  svd(A: Float32Array, m: number, n: number): SvdArrays & { sweeps: number };
  svdAsync(A: Float32Array, m: number, n: number): Promise<SvdArrays & { sweeps: number }>;
  upload(data: Float32Array): DeviceBuffer;
  deviceInfo(): CudaDeviceInfo;
  stats(): { liveBuffers: number; liveBytes: number };
}

/** An opaque native plan (native/mlp_binding.cpp). */
export interface MlpPlanHandle {
  readonly layers: number;
}

/** What the C++ side exports (native/addon.cpp and the *_binding.cpp it registers). */
export interface NativeAddon {
  /** Argument names of every entry point (native/signatures.h). */
  signatures: Record<string, string[]>;
  info(): AddonInfo;
  setThreads(threads: number): void;
  gemm(...args: GemmArgs): void;
  gemmAsync(...args: GemmArgs): Promise<void>;
  colStats(...args: ColStatsArgs): void;
  svd(A: Float32Array, m: number, n: number, full: boolean): SvdArrays;
  svdAsync(A: Float32Array, m: number, n: number, full: boolean): Promise<SvdArrays>;
  /** Float64 Cholesky in place: failedAt −1, or the first column whose pivot is not > minPivot·max|a_ii| (kernels/cpu/dense64.h). */
  cholesky64(A: Float64Array, n: number, minPivot: number): { failedAt: number; pivot: number };
  /** X (n×k) ← L⁻¹X, or L⁻ᵀX when transposed. */
  solveLower64(L: Float64Array, n: number, X: Float64Array, k: number, transposed: boolean): void;
  /** Index of the first NaN/±Infinity in x, or −1 (kernels/cpu/finite.h). */
  firstNonFinite(x: Float32Array): number;
  /** A fused forward of a whole MLP (kernels/cpu/mlp_forward.h); holds the arrays, or when frozen a packed copy of them. */
  mlpPlan(weights: Float32Array[], biases: Float32Array[], sizes: number[], activations: number[], slopes: number[], frozen: boolean): MlpPlanHandle;
  /** Runs a plan on x into out: −1, or the index of the first non-finite entry of x (nothing computed). */
  mlpForwardOne(plan: MlpPlanHandle, x: Float32Array, out: Float32Array): number;
  /** The same for rows samples (x rows×in, out rows×out); on a non-finite x, out is undefined. */
  mlpForwardRows(plan: MlpPlanHandle, x: Float32Array, rows: number, out: Float32Array): number;
  cuda?: CudaAddon;
}

/** The 13 positional gemm arguments from GemmOptions (the CPU and CUDA entry points share them). */
export function gemmArgs<T>(m: number, n: number, k: number, a: T, b: T, c: T, opts: GemmOptions, bias: T | null): GemmArgs<T> {
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
    bias,
    ACTIVATION_CODE[opts.activation ?? 'identity'],
    opts.leakySlope ?? DEFAULT_LEAKY_SLOPE,
  ];
}

/**
 * Where a binding's exported signatures differ from ENTRY_POINTS (a missing entry point, an extra
 * one, or other arguments): one line each, empty when they agree. `cuda` entries count only
 * when the binding was built with CUDA.
 */
export function signatureMismatches(signatures: unknown, withCuda: boolean): string[] {
  if (signatures === null || typeof signatures !== 'object') return ['the addon exports no signatures (built before they existed)'];
  const got = signatures as Record<string, unknown>;
  const out: string[] = [];
  const want = Object.entries(ENTRY_POINTS).filter(([name]) => withCuda || !name.startsWith('cuda.'));
  for (const [name, args] of want) {
    const have = got[name];
    if (!Array.isArray(have)) out.push(`${name} is missing`);
    else if (have.join(', ') !== args.join(', ')) out.push(`${name}(${have.join(', ')}) where ${name}(${args.join(', ')}) is expected`);
  }
  for (const name of Object.keys(got)) if (!(name in ENTRY_POINTS)) out.push(`${name} is not described in src/backend/addon-api.ts`);
  return out;
}
