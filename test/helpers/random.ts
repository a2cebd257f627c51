// Seeded test data shared by the backend test files.
import { Rng } from '../../src/rng.js';

/** n floats uniform in [-1, 1) from the seeded generator (the same seed gives the same data). */
export function rand(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r.uniform(-1, 1);
  return a;
}
