// The backend interface. Every backend (cuda, cpu, gpujs, js) implements this, and the `js`
// backend is the reference every other one is checked against.
//
// Conventions, stated once (as ggml does):
// - All matrices are row-major Float32Array, densely packed (leading dimension = columns).
// - gemm computes   C[m×n] = act( alpha · op(A) · op(B) + beta · C + bias )
//     op(A) is m×k: A is stored m×k, or k×m when transA (so op(A) = Aᵀ);
//     op(B) is k×n: B is stored k×n, or n×k when transB (so op(B) = Bᵀ).
//     bias (optional) has n entries, added to every row. act defaults to identity.
//     With beta = 0, C's previous contents are ignored (NaN in C does not leak through).
// - colStats reads X[rows×cols] (pre-activation), applies act, and accumulates per column:
//     sum(a), sum(|a|), count(a == 0), max(a); `count` += rows. With writeBack the activated
//     values replace X, so the forward pass can go on from X (stats fused with the forward).
// - svd(A[m×n]) -> U, S, V with A ≈ U diag(S) Vᵀ, S descending.
// - cholesky64(A[n×n] float64): A = L Lᵀ in place (L in the lower triangle, upper zeroed); the
//     result names the first column whose pivot s is not > minPivot·max|a_ii| (or not > 0).
// - solveLower64(L[n×n], X[n×k], transposed): X ← L⁻¹X, or L⁻ᵀX; float64, L lower triangular.
// - firstNonFinite(x): the index of the first NaN/±Infinity, or −1.
// Backends without a kernel of their own for an op use the js reference for it (never another
// backend's native code), so TRIMNET_BACKEND=js runs no native code at all.

export type BackendName = 'cuda' | 'cpu' | 'gpujs' | 'js';
export const BACKEND_NAMES: readonly BackendName[] = ['cuda', 'cpu', 'gpujs', 'js'];

export type Activation = 'identity' | 'relu' | 'leaky_relu' | 'gelu' | 'tanh' | 'sigmoid';
export const ACTIVATIONS: readonly Activation[] = ['identity', 'relu', 'leaky_relu', 'gelu', 'tanh', 'sigmoid'];

/** Numeric code of each activation, shared with the native and gpu.js kernels. */
export const ACTIVATION_CODE: Record<Activation, number> = {
  identity: 0,
  relu: 1,
  leaky_relu: 2,
  gelu: 3,
  tanh: 4,
  sigmoid: 5,
};

/** PyTorch's default negative slope for LeakyReLU. */
export const DEFAULT_LEAKY_SLOPE = 0.01;

export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number; // default 1
  beta?: number; // default 0
  bias?: Float32Array; // length n
  activation?: Activation; // default identity
  leakySlope?: number; // default 0.01
}

/** Running per-column statistics; merge by adding sums/zeros/count and taking the max. */
export interface ColStats {
  cols: number;
  count: number; // rows seen
  sum: Float64Array;
  sumAbs: Float64Array;
  zeros: Float64Array; // count of exact zeros (float64 so merges never overflow)
  max: Float32Array; // -Infinity before any row
}

export interface SvdResult {
  U: Float32Array; // m×p row-major (p = min(m,n) thin, m full)
  S: Float32Array; // min(m,n), descending
  V: Float32Array; // n×q row-major (q = min(m,n) thin, n full); A ≈ U diag(S) Vᵀ
  m: number;
  n: number;
  full: boolean;
}

export interface Backend {
  readonly name: BackendName;

  gemm(m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, opts?: GemmOptions): void;

  /** Same as gemm, off the event loop where the backend can (others resolve after a sync call). */
  gemmAsync(
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    opts?: GemmOptions,
  ): Promise<void>;

  colStats(x: Float32Array, rows: number, cols: number, act: Activation, acc: ColStats, opts?: { writeBack?: boolean; leakySlope?: number }): void;

  /** Thin (full = false) or full SVD. */
  svd(a: Float32Array, m: number, n: number, full: boolean): SvdResult;
  svdAsync(a: Float32Array, m: number, n: number, full: boolean): Promise<SvdResult>;

  /** In-place float64 Cholesky; failedAt is −1 or the column whose pivot failed (A is then partly overwritten). */
  cholesky64(a: Float64Array, n: number, minPivot: number): CholeskyResult;

  /** x (n×k) ← L⁻¹ x, or L⁻ᵀ x when transposed; float64, x must not share memory with l. */
  solveLower64(l: Float64Array, n: number, x: Float64Array, k: number, transposed: boolean): void;

  /** Index of the first NaN/±Infinity in x, or −1. */
  firstNonFinite(x: Float32Array): number;

  /**
   * A whole-network forward in one call, for one sample or many (backends that have one: cpu).
   * The result holds the given arrays; it stays valid while they keep their length (callers
   * check identity). `frozen`: it copies them instead (the cpu backend packs the weights once
   * into its GEMM panels), so later changes to the arrays do not reach it (FrozenMLP).
   */
  fuseForward?(layers: readonly DenseLayerSpec[], frozen?: boolean): FusedForward;
}

/** One layer for fuseForward: out = act(weight · x + bias), weight [outSize, inSize] row-major. */
export interface DenseLayerSpec {
  weight: Float32Array;
  bias: Float32Array;
  inSize: number;
  outSize: number;
  activation: Activation;
  leakySlope: number;
}

export interface FusedForward {
  /** One sample: writes the last layer's output into out; returns −1, or the index of the first non-finite entry of x (then out is untouched). */
  one(x: Float32Array, out: Float32Array): number;
  /**
   * `rows` samples (x [rows, in], out [rows, out]), bitwise what the layer-by-layer forward
   * gives; returns −1, or the index of the first non-finite entry of x (then out is undefined).
   */
  rows(x: Float32Array, rows: number, out: Float32Array): number;
}

export interface CholeskyResult {
  failedAt: number; // −1 when A was positive definite
  pivot: number; // the failed pivot (a_jj − Σ l_jp²)
}

export function newColStats(cols: number): ColStats {
  return {
    cols,
    count: 0,
    sum: new Float64Array(cols),
    sumAbs: new Float64Array(cols),
    zeros: new Float64Array(cols),
    max: new Float32Array(cols).fill(-Infinity),
  };
}

/** Adds `b` into `a` (statistics of disjoint batches merge exactly). */
export function mergeColStats(a: ColStats, b: ColStats): ColStats {
  if (a.cols !== b.cols) throw new Error(`Cannot merge column statistics of ${a.cols} and ${b.cols} columns`);
  a.count += b.count;
  for (let j = 0; j < a.cols; j++) {
    a.sum[j]! += b.sum[j]!;
    a.sumAbs[j]! += b.sumAbs[j]!;
    a.zeros[j]! += b.zeros[j]!;
    if (b.max[j]! > a.max[j]!) a.max[j] = b.max[j]!;
  }
  return a;
}
