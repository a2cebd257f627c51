#!/usr/bin/env node
// MLP runtime benchmark, trimnet vs its peers in the same run:
//  1. one training epoch of 784-512-256-10 ReLU (Adam 1e-3, batch 128) on Fashion-MNIST (the full
//     set when installed, else the bundled 10,000 images) vs PyTorch CPU (Debian python3-torch) with
//     OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=2 (its best on 2 cores) and with its default threads;
//  2. single-sample predict latency (p50/p99) of the same weights vs onnxruntime-node, the faster of
//     its 1 and 2 intra-op threads (the ONNX file is exported by Debian's torch into bench/data/).
// Options: --rows N (train on the first N images; s/epoch is scaled to 60,000), --reps N (predict calls).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir, mdTable, python, root, runPython, writeResults } from './lib.mjs';

const { MLP, train, loadDataset, getBackend } = await import(join(root, 'dist/src/index.js'));

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const fullDir = process.env.TRIMNET_FASHION_MNIST || '/usr/share/datasets/fashion-mnist';
const haveFull = existsSync(join(fullDir, 'train-images-idx3-ubyte.gz'));
const dataName = haveFull ? 'fashion-mnist' : 'mini';
const ds = loadDataset(dataName, { split: 'train' });
const rows = Math.min(arg('rows', ds.train.x.rows), ds.train.x.rows);
const reps = arg('reps', 20000);
const scale = 60000 / rows;
const x = ds.train.x.sliceRows(0, rows);
const y = ds.train.labels.subarray(0, rows);
const backend = getBackend().name;
console.log(`mlp bench: ${dataName}, ${rows} training rows (scaled ×${scale.toFixed(2)} to 60,000), backend ${backend}`);

// ---- 1. training epoch
const model = MLP.create({ sizes: [784, 512, 256, 10], seed: 0 });
train(model, x.sliceRows(0, 128 * 10), y.subarray(0, 128 * 10), { epochs: 1, batchSize: 128 }); // warm-up
const r = train(model, x, y, { epochs: 1, batchSize: 128, seed: 0 });
const ours = r.epochs[0].seconds * scale;
console.log(`trimnet: ${ours.toFixed(2)} s/epoch`);
const flops = 60000 * 2 * (3 * (784 * 512 + 512 * 256 + 256 * 10) - 784 * 512); // fwd + dW + dX (no dX for layer 1)

const peers = [];
const py = python(['torch']);
const dataDir = haveFull ? fullDir : join(root, 'data', 'fashion-mnist-mini');
const script = join(benchDir, 'peers', 'mlp_torch.py');
if (py) {
  for (const [label, env] of [
    ['PyTorch CPU, OMP 1 + OpenBLAS 2 threads', { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '2' }],
    ['PyTorch CPU, default threads', {}],
  ]) {
    const res = runPython(script, ['train', dataDir, rows], env);
    const s = res.secondsPerEpoch * scale;
    peers.push([label, s]);
    console.log(`${label}: ${s.toFixed(2)} s/epoch`);
  }
} else console.log('PyTorch peer skipped: /usr/bin/python3 with torch not found (scripts/install-deps.sh bench)');

const best = peers.length ? Math.min(...peers.map((p) => p[1])) : NaN;
const trainRows = [
  [`trimnet (${backend})`, ours.toFixed(2), ((flops / ours) * 1e-9).toFixed(1), peers.length ? (ours / best).toFixed(2) : '–'],
  ...peers.map(([l, s]) => [l, s.toFixed(2), ((flops / s) * 1e-9).toFixed(1), (s / best).toFixed(2)]),
];

// ---- 2. single-sample latency
const ref = MLP.fromSafetensors(join(root, 'test/fixtures/nn/torch_784_512_256_10.safetensors'));
const sample = loadDataset('mini', { split: 'test', limit: 256 }).test.x;
function percentiles(fn) {
  const n = sample.rows;
  const inputs = Array.from({ length: n }, (_, i) => sample.data.slice(i * 784, (i + 1) * 784));
  for (let i = 0; i < 2000; i++) fn(inputs[i % n]);
  const t = new Float64Array(reps);
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn(inputs[i % n]);
    t[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  t.sort();
  return { p50: t[Math.floor(reps * 0.5)], p99: t[Math.floor(reps * 0.99)] };
}
async function percentilesAsync(fn) {
  const n = sample.rows;
  const inputs = Array.from({ length: n }, (_, i) => sample.data.slice(i * 784, (i + 1) * 784));
  for (let i = 0; i < 2000; i++) await fn(inputs[i % n]);
  const t = new Float64Array(reps);
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    await fn(inputs[i % n]);
    t[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  t.sort();
  return { p50: t[Math.floor(reps * 0.5)], p99: t[Math.floor(reps * 0.99)] };
}
const lat = [];
const mine = percentiles((v) => ref.predictOne(v));
lat.push([`trimnet predictOne (${backend})`, mine]);
console.log(`trimnet predictOne: p50 ${mine.p50.toFixed(1)} µs, p99 ${mine.p99.toFixed(1)} µs`);

let ort = null;
try {
  ort = await import('onnxruntime-node');
} catch {
  console.log('onnxruntime-node peer skipped: not installed (npm install)');
}
const onnxPath = join(benchDir, 'data', 'mlp_784_512_256_10.onnx');
if (ort && py && !existsSync(onnxPath)) {
  mkdirSync(join(benchDir, 'data'), { recursive: true });
  runPython(script, ['export', join(root, 'test/fixtures/nn/torch_784_512_256_10.safetensors'), onnxPath], { OMP_NUM_THREADS: '1' });
}
let ortBest = null;
if (ort && existsSync(onnxPath)) {
  for (const threads of [1, 2]) {
    const session = await ort.InferenceSession.create(onnxPath, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
    const check = await session.run({ x: new ort.Tensor('float32', sample.data.slice(0, 784), [1, 784]) });
    const want = ref.forwardOne(sample.data.slice(0, 784));
    const diff = Math.max(...Array.from(check.logits.data, (v, j) => Math.abs(v - want[j])));
    if (diff > 1e-4) throw new Error(`onnxruntime and trimnet disagree on the logits (max diff ${diff})`);
    const p = await percentilesAsync((v) => session.run({ x: new ort.Tensor('float32', v, [1, 784]) }));
    lat.push([`onnxruntime-node ${ort.env?.versions?.common ?? ''}, ${threads} intra-op thread${threads > 1 ? 's' : ''}`, p]);
    console.log(`onnxruntime-node (${threads} threads): p50 ${p.p50.toFixed(1)} µs, p99 ${p.p99.toFixed(1)} µs`);
    if (!ortBest || p.p50 < ortBest.p50) ortBest = p;
    await session.release?.();
  }
}
const latRows = lat.map(([l, p]) => [l, p.p50.toFixed(1), p.p99.toFixed(1), ortBest ? (p.p50 / ortBest.p50).toFixed(2) : '–']);

const body = [
  `## Training: one epoch of 784-512-256-10 ReLU, Adam 1e-3, batch 128`,
  ``,
  `Data: ${dataName} (${rows} rows timed, scaled to 60,000). GFLOP/s counts the GEMMs only (${(flops / 1e9).toFixed(0)} GFLOP per epoch). Goal: trimnet ≤ 1.0× PyTorch's best.`,
  ``,
  mdTable(['', 's/epoch', 'GFLOP/s', '× best PyTorch'], trainRows),
  ``,
  `## Single-sample predict latency (same weights: the PyTorch-trained reference model)`,
  ``,
  `${reps} calls each, µs. Goal: trimnet p50 ≤ 0.5× onnxruntime's best.`,
  ``,
  mdTable(['', 'p50 µs', 'p99 µs', '× best onnxruntime p50'], latRows),
].join('\n');
console.log(`\n${writeResults('mlp', 'MLP runtime: training and single-sample latency', body)}`);
