// The first NaN or ±Infinity in a Float32Array, or −1: the input check that the big-matrix entry
// points run (alignment, SVD, solvers, training data). A backend op: the cpu backend scans large
// arrays natively (kernels/cpu/finite.h; ~15 ms instead of ~100 ms for 77 M floats), the js
// backend loops.
import { getBackend } from './backend/registry.js';

export function firstNonFinite(data: Float32Array): number {
  return getBackend().firstNonFinite(data);
}
