// The first NaN or ±Infinity in a Float32Array, or −1: the input check that the big-matrix entry
// points run (alignment, SVD, solvers, training data). Large arrays go to the addon
// (kernels/cpu/finite.h; ~15 ms instead of ~100 ms for 77 M floats); this loop is the plain
// version and the path without the addon.
import { loadAddon } from './backend/addon.js';

const NATIVE_MIN = 1 << 14;

export function firstNonFinite(data: Float32Array): number {
  const native = loadAddon().addon;
  if (data.length >= NATIVE_MIN && native?.firstNonFinite) return native.firstNonFinite(data);
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return i;
  return -1;
}
