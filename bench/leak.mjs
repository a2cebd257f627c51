#!/usr/bin/env node
// npm run leak: RSS must stay flat across many calls into the addon.
//   - 1,000,000 single-sample predictions (mlp.predictOne, the no-allocation path), the same on
//     its FrozenMLP, and 20,000 models frozen, used once and dropped (packed native copies)
//   - 100,000 one-row mlp.predict(Tensor) calls (the allocating batch path)
//   - 1,000 GEMMs of 1024² (LEAK_GEMM_N) (sync and matmulAsync alternating) and, with a native SVD, 1,000 SVDs of 192²
// Prints RSS before, every N calls and after; exits 1 when RSS grows by more than the bound
// (LEAK_BOUND_MIB, default 24 MiB) between the end of warm-up and the end of a phase.
// LEAK_SCALE=0.1 runs a tenth of every count (a smoke run).
import { MLP, Rng, Tensor, getBackend, matmul, matmulAsync, svd, svdAsync } from '../dist/src/index.js';

const scale = Number(process.env.LEAK_SCALE) > 0 ? Number(process.env.LEAK_SCALE) : 1;
const boundMiB = Number(process.env.LEAK_BOUND_MIB) > 0 ? Number(process.env.LEAK_BOUND_MIB) : 24;
const gc = globalThis.gc ?? (() => {});
const mib = () => process.memoryUsage().rss / 2 ** 20;
const fmt = (x) => x.toFixed(1);
let failed = false;

async function phase(name, count, every, call) {
  const warm = Math.max(1, Math.floor(count / 10));
  const rss0 = mib();
  for (let i = 0; i < warm; i++) await call(i);
  gc();
  const base = mib();
  const samples = [];
  const t0 = performance.now();
  for (let i = warm; i < count; i++) {
    await call(i);
    if ((i + 1) % every === 0) {
      gc();
      samples.push(`${fmt(mib())}`);
    }
  }
  gc();
  const end = mib();
  const grew = end - base;
  const ok = grew <= boundMiB;
  if (!ok) failed = true;
  console.log(
    `${name}: ${count} calls in ${((performance.now() - t0) / 1000).toFixed(1)} s; RSS MiB before ${fmt(rss0)}, after warm-up ${fmt(base)}, end ${fmt(end)} ` +
      `(${grew >= 0 ? '+' : ''}${fmt(grew)}, bound ${boundMiB}) ${ok ? 'OK' : 'GREW'}\n  every ${every}: ${samples.join(' ')}`,
  );
}

const rng = new Rng(0);
const randn = (n) => Float32Array.from({ length: n }, () => rng.normal());
console.log(`leak check on backend ${getBackend().name}, scale ${scale}${globalThis.gc ? '' : ' (run with --expose-gc for exact numbers)'}`);

const model = MLP.create({ sizes: [784, 64, 10], activation: 'relu', seed: 0 });
const x = Float32Array.from({ length: 784 }, () => rng.uniform(0, 1));
let sink = 0;
const nPredict = Math.round(1_000_000 * scale);
await phase('predictOne', nPredict, Math.max(1, nPredict / 10), () => {
  x[sink % 784] = (sink & 7) / 8;
  sink += model.predictOne(x);
});
const frozen = model.freeze();
await phase('predictOne (FrozenMLP)', nPredict, Math.max(1, nPredict / 10), () => {
  x[sink % 784] = (sink & 7) / 8;
  sink += frozen.predictOne(x);
});
// Each freeze packs a copy of the weights in native memory, owned by the plan and freed by its
// finalizer: making and dropping models must not grow RSS. Node runs such finalizers once the
// event loop turns, so this phase lets it turn (as any service does) every 100 models.
const nFreeze = Math.round(20_000 * scale);
await phase('freeze + predictOne + drop', nFreeze, Math.max(1, nFreeze / 10), async (i) => {
  sink += model.freeze().predictOne(x);
  if (i % 100 === 99) await new Promise((r) => setImmediate(r));
});
const nBatch = Math.round(100_000 * scale);
const xt = new Tensor(x, [1, 784]);
await phase('predict (1-row Tensor)', nBatch, Math.max(1, nBatch / 10), () => {
  sink += model.predict(xt)[0];
});

const n = Number(process.env.LEAK_GEMM_N) > 0 ? Number(process.env.LEAK_GEMM_N) : 1024;
const a = new Tensor(randn(n * n), [n, n]);
const b = new Tensor(randn(n * n), [n, n]);
const nGemm = Math.max(10, Math.round(1000 * scale));
await phase(`gemm ${n}² (sync/async)`, nGemm, Math.max(1, nGemm / 10), async (i) => {
  const c = i % 2 ? await matmulAsync(a, b) : matmul(a, b);
  sink += c.data[i % c.data.length] > 0 ? 1 : 0;
});

if (getBackend().svdAsync) {
  const s = new Tensor(randn(192 * 192), [192, 192]);
  const nSvd = Math.max(10, Math.round(1000 * scale));
  await phase('svd 192² (sync/async)', nSvd, Math.max(1, nSvd / 10), async (i) => {
    const r = i % 2 ? await svdAsync(s) : svd(s);
    sink += r.S[0] > 0 ? 1 : 0;
  });
} else {
  console.log('svd: skipped (no native SVD on this backend)');
}

console.log(failed ? 'leak check: FAILED (RSS grew beyond the bound)' : 'leak check: OK (RSS flat)', sink > 0 ? '' : ' ');
process.exitCode = failed ? 1 : 0;
