// TRIMNET_BACKEND=js is a pure reference run: with the js backend in force, nothing reaches the
// native addon — not the SVD, the float64 solves, the finite checks, nor the layers above them
// (linalg, alignment, pruning with reconstruction, training). Every addon entry point is
// wrapped with a counter; the same workload on the cpu backend shows the counters work.
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../src/backend/addon.js';
import { setBackend } from '../src/backend/registry.js';
import { Tensor, MLP, train, activationStats, pruneByActivation, cca, linearMap, procrustes, svd, svdAsync, matmul } from '../src/index.js';
import { cholesky, inverseSqrtSPD, solveSPD, symmetricEigen } from '../src/linalg/solvers.js';
import { Rng } from '../src/rng.js';

const { addon } = loadAddon();
const calls = new Map<string, number>();

function instrument(obj: Record<string, unknown>, prefix: string): void {
  for (const key of Object.keys(obj)) {
    const fn = obj[key];
    if (typeof fn !== 'function' || key === 'DeviceBuffer') continue;
    obj[key] = (...args: unknown[]) => {
      calls.set(prefix + key, (calls.get(prefix + key) ?? 0) + 1);
      return (fn as (...a: unknown[]) => unknown)(...args);
    };
  }
}
if (addon) {
  instrument(addon as unknown as Record<string, unknown>, '');
  if (addon.cuda) instrument(addon.cuda as unknown as Record<string, unknown>, 'cuda.');
}

function rand(rows: number, cols: number, seed: number): Tensor {
  const r = new Rng(seed);
  return Tensor.from(Float32Array.from({ length: rows * cols }, () => r.uniform(-1, 1)), [rows, cols]);
}

/** Above every native size cut-off: Cholesky n >= 48, solves n²k >= 2^15, finite checks >= 2^14 elements. */
async function workload(): Promise<void> {
  const x = rand(300, 64, 1);
  const y = rand(300, 60, 2);
  x.hasNonFinite();
  matmul(x, y, { transA: true });
  svd(rand(70, 50, 3), { full: true });
  await svdAsync(rand(40, 30, 4));
  const g = matmul(x, x, { transA: true });
  cholesky(g);
  solveSPD(g, rand(64, 64, 5), { ridge: 0.1 });
  symmetricEigen(rand(130, 130, 6).add(rand(130, 130, 6).transpose()));
  inverseSqrtSPD(g);
  cca(x, y, { k: 4 });
  linearMap(x, y, { ridge: 0.1 });
  procrustes(rand(300, 32, 7), rand(300, 32, 8));
  const data = rand(256, 64, 9);
  const labels = Int32Array.from({ length: 256 }, (_, i) => i % 4);
  const mlp = MLP.create({ sizes: [64, 60, 4], activation: 'relu', seed: 1 });
  train(mlp, data, labels, { epochs: 1, batchSize: 64, lr: 1e-3, optimizer: 'adam', seed: 1 });
  const stats = activationStats(mlp, data);
  pruneByActivation(mlp, stats, { threshold: 0.05, reconstruct: { x: data } });
}

describe.runIf(addon !== null)('a forced js run touches no native code', () => {
  it('js backend: zero addon calls', async () => {
    setBackend('js');
    calls.clear();
    await workload();
    expect(Object.fromEntries(calls)).toEqual({});
  });

  it('cpu backend: the same workload does call the addon (the counters work)', async () => {
    setBackend('cpu');
    calls.clear();
    await workload();
    for (const op of ['gemm', 'svd', 'svdAsync', 'cholesky64', 'solveLower64', 'firstNonFinite']) {
      expect(calls.get(op) ?? 0, op).toBeGreaterThan(0);
    }
  });
});
