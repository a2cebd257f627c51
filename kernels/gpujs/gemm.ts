// GEMM with a fused bias + activation epilogue, as a gpu.js kernel.
//
//   C[m×n] = act( alpha · op(A)[m×k] · op(B)[k×n] + beta · C + bias[n] )
//
// Row-major, densely packed (see src/backend/types.ts). One kernel thread computes one element
// C[i][j]: thread.y = i (row, 0..m-1), thread.x = j (column, 0..n-1), so neighbouring threads
// read neighbouring columns of B (gpu.js's WebAssembly backend vectorises along x).
// Transposes are absorbed into strides, fixed when the kernel is compiled:
//   op(A)[i][p] = a[i·aRow + p·aCol]   (aRow, aCol) = transA ? (1, m) : (k, 1)
//   op(B)[p][j] = b[p·bRow + j·bCol]   (bRow, bCol) = transB ? (1, k) : (n, 1)
// Every size and option is a compile-time constant, so gpu.js sees fixed loop bounds; the
// backend (src/backend/gpujs.ts) compiles one kernel per shape/options and caches it.
// The plain reference this is checked against is gemmJs in src/backend/js.ts.

import { gpuActivate } from './activation.js';

export interface GemmConstants {
  [key: string]: number;
  m: number;
  n: number;
  k: number;
  aRow: number;
  aCol: number;
  bRow: number;
  bCol: number;
  useC: number; // 1 when beta != 0 (with beta = 0, C is never read: NaN in C must not leak)
  useBias: number; // 1 when a bias row is given
  act: number; // ACTIVATION_CODE
}

export interface GemmKernelThis {
  thread: { x: number; y: number; z: number };
  constants: GemmConstants;
}

/** The gpu.js kernel: one output element. `c` and `bias` are read only when useC / useBias.
 *  alpha, beta and the leaky slope are arguments (not constants) so new values need no new kernel. */
export function gemmKernel(
  this: GemmKernelThis,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  bias: Float32Array,
  alpha: number,
  beta: number,
  slope: number,
): number {
  const i = this.thread.y;
  const j = this.thread.x;
  // Walking indices instead of recomputing i·aRow + p·aCol each step: twice as fast under
  // gpu.js's WebAssembly backend (measured at 256³).
  let ia = i * this.constants.aRow;
  let ib = j * this.constants.bCol;
  let s = 0.0;
  for (let p = 0; p < this.constants.k; p++) {
    s += a[ia] * b[ib];
    ia += this.constants.aCol;
    ib += this.constants.bRow;
  }
  let v = alpha * s;
  if (this.constants.useC === 1) {
    v += beta * c[i * this.constants.n + j];
  }
  if (this.constants.useBias === 1) {
    v += bias[j];
  }
  return gpuActivate(this.constants.act, v, slope);
}

/** The constants that fix one compiled kernel. */
export function gemmConstants(
  m: number,
  n: number,
  k: number,
  o: { transA: boolean; transB: boolean; useC: boolean; useBias: boolean; act: number },
): GemmConstants {
  return {
    m,
    n,
    k,
    aRow: o.transA ? 1 : k,
    aCol: o.transA ? m : 1,
    bRow: o.transB ? 1 : n,
    bCol: o.transB ? k : 1,
    useC: o.useC ? 1 : 0,
    useBias: o.useBias ? 1 : 0,
    act: o.act,
  };
}
