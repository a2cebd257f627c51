#!/usr/bin/env node
// Inference against onnxruntime-node in the same run (issue 11, items 3–5), on the PyTorch-trained
// 784-512-256-10 ReLU reference model and on a 72 %-pruned copy of it:
// trimnet runs each model two ways: as an MLP (weights read where they lie, so changes in place
// are seen at once) and as its FrozenMLP (mlp.freeze(): weights packed once, like an ORT session,
// which also copies and prepacks them). The targets are read on the FrozenMLP, the serving API
// that is like for like with a session; the MLP rows stay beside it.
//  1. single-request latency: predictOne p50/p99 (trimnet at its default threads and at 1 thread)
//     vs session.run on one row (ORT at 1 and 2 intra-op threads; its best setting is the peer),
//     back to back and with requests 200 µs apart (pool workers asleep when a request comes);
//  2. what pruning buys: the pruned model's p50 against the unpruned one's, at the default threads;
//  3. batch throughput: samples/s of forward on 1,024 rows vs session.run on [1024, 784].
// Both runtimes get the same weights: the ONNX files are trimnet's own export (Gemm + Relu), and
// their logits are checked against trimnet's before anything is timed. The pruned model is made by
// activation statistics on the training images (mean activation, bias compensation, no fine-tuning:
// only its shape matters here). Rounds alternate the runtimes; latency figures are the median over
// rounds of each round's p50/p99, throughput the median of rounds.
//
// Writes bench/results/inference-<isa>-<cpu>.md (TRIMNET_KERNEL picks the ISA).
//   node bench/inference.bench.mjs [--quick] [--rounds N] [--reps N]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { cpuTag, mdTable, root, writeResults } from './lib.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.includes(`--${name}`) ? Number(argv[argv.indexOf(`--${name}`) + 1]) : dflt);
const quick = argv.includes('--quick');
const rounds = opt('rounds', quick ? 2 : 5);
const reps = opt('reps', quick ? 2000 : 10000);
const GAP_US = 200; // > the pool's 50 µs spin: workers are asleep when the next request comes

const dist = join(root, 'dist', 'src');
const { MLP, loadDataset } = await import(join(dist, 'index.js'));
const { activationStats } = await import(join(dist, 'prune', 'stats.js'));
const { pruneByActivation } = await import(join(dist, 'prune', 'activation.js'));
const { toOnnx } = await import(join(dist, 'io', 'onnx-export.js'));
const { loadAddon } = await import(join(dist, 'backend', 'addon.js'));
const { addon } = loadAddon();
const info = addon.info();
const isa = info.kernel.split(' ')[0];

const fullDir = process.env.TRIMNET_FASHION_MNIST || '/usr/share/datasets/fashion-mnist';
const data = loadDataset(existsSync(join(fullDir, 'train-images-idx3-ubyte.gz')) ? 'fashion-mnist' : 'mini');
const model = MLP.fromSafetensors(join(root, 'test', 'fixtures', 'nn', 'torch_784_512_256_10.safetensors'));
const statsX = data.train.x.sliceRows(0, Math.min(20000, data.train.x.rows));
const pruned = pruneByActivation(model, activationStats(model, statsX), { targetParams: 0.28, compensateBias: true }).model;
const removed = 100 * (1 - pruned.paramCount() / model.paramCount());
console.log(`inference bench: ${info.kernel}, ${info.threads} threads; pruned ${pruned.layerSizes().join('-')} (${removed.toFixed(1)} % removed)`);

const test = data.test.x;
const inputs = Array.from({ length: 256 }, (_, i) => test.data.slice(i * 784, (i + 1) * 784));
const batch = test.sliceRows(0, 1024);

async function session(m, threads) {
  const s = await ort.InferenceSession.create(toOnnx(m, { inputName: 'x', outputName: 'logits' }), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const got = (await s.run({ x: new ort.Tensor('float32', batch.data.slice(0, 784 * 4), [4, 784]) })).logits.data;
  const want = m.forward(batch.sliceRows(0, 4)).data;
  const diff = Math.max(...Array.from(got, (v, j) => Math.abs(v - want[j])));
  if (!(diff <= 1e-4)) throw new Error(`onnxruntime and trimnet disagree on the logits (max diff ${diff})`);
  return s;
}

const pcts = (t) => {
  t.sort();
  return { p50: t[Math.floor(t.length * 0.5)], p99: t[Math.floor(t.length * 0.99)] };
};
// gapUs > 0: requests arrive that far apart (busy-waited), long enough for idle pool workers to
// have gone to sleep: what a service with sparse traffic sees.
const pause = (us) => {
  const until = performance.now() + us / 1000;
  while (performance.now() < until);
};
function latencySync(fn, gapUs = 0) {
  for (let i = 0; i < 1000; i++) fn(inputs[i & 255]);
  const t = new Float64Array(reps);
  for (let i = 0; i < reps; i++) {
    if (gapUs) pause(gapUs);
    const t0 = performance.now();
    fn(inputs[i & 255]);
    t[i] = (performance.now() - t0) * 1000;
  }
  return pcts(t);
}
async function latencyAsync(fn, gapUs = 0) {
  for (let i = 0; i < 1000; i++) await fn(inputs[i & 255]);
  const t = new Float64Array(reps);
  for (let i = 0; i < reps; i++) {
    if (gapUs) pause(gapUs);
    const t0 = performance.now();
    await fn(inputs[i & 255]);
    t[i] = (performance.now() - t0) * 1000;
  }
  return pcts(t);
}
async function samplesPerSec(fn) {
  await fn();
  const times = [];
  const start = performance.now();
  while (times.length < 5 || performance.now() - start < (quick ? 200 : 600)) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return (1024 / times[times.length >> 1]) * 1000;
}

const models = { unpruned: model, pruned };
const frozen = { unpruned: model.freeze(), pruned: pruned.freeze() };
for (const [name, f] of Object.entries(frozen)) {
  // The frozen copy gives bitwise the MLP's logits on a batch (same kernels, weights packed ahead).
  const a = f.forward(batch.sliceRows(0, 64)).data, b = models[name].forward(batch.sliceRows(0, 64)).data;
  if (a.some((v, i) => v !== b[i])) throw new Error(`${name}: FrozenMLP.forward differs from MLP.forward`);
}
const sessions = {};
for (const [name, m] of Object.entries(models)) for (const th of [1, 2]) sessions[`${name} ${th}`] = await session(m, th);

// results[name][runtime] = per-round figures
const lat = {}, thr = {};
const push = (o, k, r, v) => (((o[k] ??= {})[r] ??= []).push(v));
for (let round = 0; round < rounds; round++) {
  for (const [name, model] of Object.entries(models)) {
    for (const [kind, m] of [['FrozenMLP', frozen[name]], ['MLP', model]]) {
      for (const th of [0, 1]) {
        addon.setThreads(th);
        const label = `trimnet ${kind}, ${th ? '1 thread' : `${info.threads} threads (default)`}`;
        push(lat, name, label, latencySync((v) => m.predictOne(v)));
        if (!th) push(lat, name, `trimnet ${kind}, ${info.threads} threads, one request every ${GAP_US} µs`, latencySync((v) => m.predictOne(v), GAP_US));
        push(thr, name, label, await samplesPerSec(async () => m.forward(batch)));
      }
    }
    addon.setThreads(0);
    for (const th of [1, 2]) {
      const s = sessions[`${name} ${th}`];
      const label = `onnxruntime-node ${ort.env.versions?.common ?? ''}, ${th} intra-op thread${th > 1 ? 's' : ''}`;
      push(lat, name, label, await latencyAsync((v) => s.run({ x: new ort.Tensor('float32', v, [1, 784]) })));
      push(lat, name, `${label}, one request every ${GAP_US} µs`, await latencyAsync((v) => s.run({ x: new ort.Tensor('float32', v, [1, 784]) }), GAP_US));
      const xb = new ort.Tensor('float32', batch.data, [1024, 784]);
      push(thr, name, label, await samplesPerSec(() => s.run({ x: xb })));
    }
  }
  console.log(`round ${round + 1}/${rounds} done`);
}

const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const isOrt = (r) => r.startsWith('onnxruntime') && !r.includes('one request every');
const body = [];
const summary = {};
for (const name of Object.keys(models)) {
  const L = Object.fromEntries(Object.entries(lat[name]).map(([r, v]) => [r, { p50: median(v.map((x) => x.p50)), p99: median(v.map((x) => x.p99)) }]));
  const ortP50 = Math.min(...Object.entries(L).filter(([r]) => isOrt(r)).map(([, v]) => v.p50));
  const ortP99 = Math.min(...Object.entries(L).filter(([r]) => isOrt(r)).map(([, v]) => v.p99));
  const T = Object.fromEntries(Object.entries(thr[name]).map(([r, v]) => [r, median(v)]));
  const ortThr = Math.max(...Object.entries(T).filter(([r]) => isOrt(r)).map(([, v]) => v));
  summary[name] = { L, T, ortP50, ortP99, ortThr };
  const m = models[name];
  body.push(`## ${name}: ${m.layerSizes().join('-')} (${m.paramCount()} parameters)`, '');
  body.push(mdTable(['single request', 'p50 µs', 'p99 µs', 'p50 / ORT best p50', 'p99 / ORT best p99'], Object.entries(L).map(([r, v]) => [r, v.p50.toFixed(1), v.p99.toFixed(1), (v.p50 / ortP50).toFixed(2), (v.p99 / ortP99).toFixed(2)])), '');
  body.push(mdTable(['batch of 1,024', 'samples/s', '× ORT best'], Object.entries(T).map(([r, v]) => [r, Math.round(v).toLocaleString('en-US'), (v / ortThr).toFixed(2)])), '');
}
const dflt = `trimnet FrozenMLP, ${info.threads} threads (default)`;
const dfltMlp = `trimnet MLP, ${info.threads} threads (default)`;
const su = summary.unpruned, sp = summary.pruned;
body.push('## Against the targets', '', 'Read on the FrozenMLP at the default threads (weights packed once, as an ORT session holds them).', '');
body.push(mdTable(['target', 'measured', 'met'], [
  ['predictOne p50 ≤ 0.5× ORT best (unpruned)', `${(su.L[dflt].p50 / su.ortP50).toFixed(2)}×`, su.L[dflt].p50 / su.ortP50 <= 0.5 ? 'yes' : 'no'],
  ['predictOne p99 ≤ 0.7× ORT best (unpruned)', `${(su.L[dflt].p99 / su.ortP99).toFixed(2)}×`, su.L[dflt].p99 / su.ortP99 <= 0.7 ? 'yes' : 'no'],
  [`pruned (${removed.toFixed(0)} % removed) ≥ 2.5× faster, default threads`, `${(su.L[dflt].p50 / sp.L[dflt].p50).toFixed(2)}×`, su.L[dflt].p50 / sp.L[dflt].p50 >= 2.5 ? 'yes' : 'no'],
  ['batch-1024 samples/s ≥ ORT best (unpruned)', `${(su.T[dflt] / su.ortThr).toFixed(2)}×`, su.T[dflt] >= su.ortThr ? 'yes' : 'no'],
  ['batch-1024 samples/s ≥ ORT best (pruned)', `${(sp.T[dflt] / sp.ortThr).toFixed(2)}×`, sp.T[dflt] >= sp.ortThr ? 'yes' : 'no'],
]), '');
body.push(`The same read on the MLP (weights not packed ahead): p50 ${(su.L[dfltMlp].p50 / su.ortP50).toFixed(2)}×, p99 ${(su.L[dfltMlp].p99 / su.ortP99).toFixed(2)}×, pruned ${(su.L[dfltMlp].p50 / sp.L[dfltMlp].p50).toFixed(2)}× faster, batch ${(su.T[dfltMlp] / su.ortThr).toFixed(2)}× / ${(sp.T[dfltMlp] / sp.ortThr).toFixed(2)}×.`, '');
body.push(`ORT for comparison: pruned vs unpruned p50 ${(su.ortP50 / sp.ortP50).toFixed(2)}× faster.`, '');
body.push(`Kernel ${info.kernel}, L2 ${info.l2CacheBytes / 1024} KiB per core (as read by trimnet); ${rounds} rounds of ${reps} requests per runtime, alternating; data: ${data.name ?? ''}.`);
const text = writeResults(`inference-${isa}-${cpuTag()}`, `Inference: trimnet vs onnxruntime-node (${info.kernel})`, body.join('\n'));
console.log(`\n${text}`);
