// Column statistics fused with the activation, as two gpu.js kernels.
//
//   X[rows×cols] (pre-activation, row-major) -> Y = act(X)
//   per column j: sum_i Y[i][j], sum_i |Y[i][j]|, #{i : Y[i][j] == 0}, max_i Y[i][j]
//
// 1. activateKernel: one thread per element (thread.x = flat index i·cols + j), Y = act(X).
//    Y is also what colStats writes back into X when asked (stats fused with the forward pass).
// 2. statsKernel: rows are cut into blocks of BLOCK rows; thread.x = column j, thread.y =
//    4·block + s where s picks the statistic (0 sum, 1 sum|y|, 2 zero count, 3 max). Each
//    thread reduces its column over its block in float32; the backend adds the blocks in float64,
//    so long inputs lose no more than one block's worth of float32 rounding.
// The plain reference this is checked against is colStatsJs in src/backend/js.ts.

import { gpuActivate } from './activation.js';

/** Rows reduced by one thread of statsKernel. */
export const STATS_BLOCK = 256;

export interface ActivateConstants {
  [key: string]: number;
  act: number;
}

export interface StatsConstants {
  [key: string]: number;
  rows: number;
  cols: number;
  block: number;
}

interface KernelThis<C> {
  thread: { x: number; y: number; z: number };
  constants: C;
}

export function activateKernel(this: KernelThis<ActivateConstants>, x: Float32Array, slope: number): number {
  return gpuActivate(this.constants.act, x[this.thread.x], slope);
}

export function statsKernel(this: KernelThis<StatsConstants>, y: Float32Array): number {
  const j = this.thread.x;
  const blk = Math.floor(this.thread.y / 4);
  const stat = this.thread.y - blk * 4;
  const r0 = blk * this.constants.block;
  let acc = 0.0;
  if (stat === 3) {
    acc = y[r0 * this.constants.cols + j];
  }
  for (let r = 0; r < this.constants.block; r++) {
    const row = r0 + r;
    if (row < this.constants.rows) {
      const v = y[row * this.constants.cols + j];
      if (stat === 0) {
        acc += v;
      } else if (stat === 1) {
        acc += Math.abs(v);
      } else if (stat === 2) {
        if (v === 0.0) {
          acc += 1.0;
        }
      } else if (v > acc) {
        acc = v;
      }
    }
  }
  return acc;
}
