#!/usr/bin/env node
// End to end, PyTorch -> trimnet -> onnxruntime-node, on Fashion-MNIST:
//  1. bench/peers/onnx_bn_gelu.py trains a 784-256-BN-GELU-Dropout-128-BN-GELU-10 MLP briefly with
//     Debian's python3-torch and exports it with torch.onnx.export (opset 17) to bench/data/;
//  2. `trimnet prune model.onnx --data fashion-mnist --target-params 0.3 --reconstruct --out small.onnx`;
//  3. both ONNX files in onnxruntime-node: test accuracy, whether ORT and trimnet agree on every
//     prediction, parameters, file size; then single-sample latency (p50, µs) of ORT (1 intra-op
//     thread) unpruned vs pruned beside trimnet's predictOne, alternating rounds in this one run.
// Options: --epochs N (default 2), --reps N (latency calls per round, default 3000), --rounds N (default 5).
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { benchDir, mdTable, python, root, runPython, writeResults } from './lib.mjs';

const { loadDataset, getBackend } = await import(join(root, 'dist/src/index.js'));
const { readOnnx } = await import(join(root, 'dist/src/io/onnx.js'));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const dataDir = process.env.TRIMNET_FASHION_MNIST || '/usr/share/datasets/fashion-mnist';
if (!python(['torch', 'onnx'])) throw new Error('needs /usr/bin/python3 with python3-torch (scripts/install-deps.sh bench)');
const dir = join(benchDir, 'data');
mkdirSync(dir, { recursive: true });
const big = join(dir, 'fmnist_bn_gelu.onnx');
const small = join(dir, 'fmnist_bn_gelu_pruned.onnx');
const torchRes = runPython(join(benchDir, 'peers', 'onnx_bn_gelu.py'), [dataDir, big, arg('epochs', 2), 60000], { OMP_NUM_THREADS: '1' });
console.log(`PyTorch: test accuracy ${torchRes.torchTestAccuracy.toFixed(4)} after ${torchRes.trainSeconds.toFixed(1)} s of training`);
const t0 = performance.now();
const cli = spawnSync(process.execPath, [join(root, 'bin/trimnet.js'), 'prune', big, '--data', 'fashion-mnist', '--target-params', '0.3', '--reconstruct', '--out', small, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
if (cli.status !== 0) throw new Error(`trimnet prune failed: ${cli.stderr}`);
const pruneSeconds = (performance.now() - t0) / 1000;
console.log(`trimnet prune: ${pruneSeconds.toFixed(1)} s`);

const test = loadDataset('fashion-mnist', { split: 'test' }).test;
const n = test.x.rows;
const rows = [];
const models = {};
for (const [label, file] of [['unpruned', big], ['pruned', small]]) {
  const { model, info } = readOnnx(file);
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
  const out = await session.run({ [info.inputName]: new ort.Tensor('float32', test.x.data, [n, 784]) });
  const logits = out[info.outputName].data;
  const ours = model.predict(test.x);
  let correct = 0;
  let agree = 0;
  for (let i = 0; i < n; i++) {
    let a = 0;
    for (let j = 1; j < 10; j++) if (logits[i * 10 + j] > logits[i * 10 + a]) a = j;
    if (a === test.labels[i]) correct++;
    if (a === ours[i]) agree++;
  }
  models[label] = { model, session, info };
  rows.push([label, model.layerSizes().join('-'), model.describeActivations(), model.paramCount(), statSync(file).size, (100 * correct / n).toFixed(2), `${agree}/${n}`]);
}
const accTable = mdTable(['model', 'layers', 'activations', 'params', 'file bytes', 'ORT test acc %', 'trimnet = ORT predictions'], rows);
console.log(accTable);

// Single-sample latency, alternating rounds; best round's p50 per case.
const reps = arg('reps', 3000);
const rounds = arg('rounds', 5);
const inputs = Array.from({ length: 256 }, (_, i) => test.x.data.slice(i * 784, (i + 1) * 784));
const ortTensors = inputs.map((d) => new ort.Tensor('float32', d, [1, 784]));
const cases = {};
for (const label of ['unpruned', 'pruned']) {
  const { model, session, info } = models[label];
  cases[`ORT ${label}`] = async (i) => session.run({ [info.inputName]: ortTensors[i % 256] });
  cases[`trimnet predictOne ${label}`] = async (i) => model.predictOne(inputs[i % 256]);
}
const best = {};
for (let r = 0; r <= rounds; r++) {
  for (const [name, fn] of Object.entries(cases)) {
    const t = new Float64Array(reps);
    for (let i = 0; i < reps; i++) {
      const s = process.hrtime.bigint();
      await fn(i);
      t[i] = Number(process.hrtime.bigint() - s) / 1000;
    }
    t.sort();
    const p50 = t[reps >> 1];
    if (r > 0) best[name] = Math.min(best[name] ?? Infinity, p50); // round 0 warms up
  }
}
const latRows = ['ORT', 'trimnet predictOne'].map((who) => {
  const u = best[`${who} unpruned`];
  const p = best[`${who} pruned`];
  return [who, u.toFixed(1), p.toFixed(1), (u / p).toFixed(2)];
});
const latTable = mdTable(['runtime', 'unpruned p50 µs', 'pruned p50 µs', 'speed-up'], latRows);
console.log(latTable);
writeResults(
  'onnx',
  'PyTorch (BatchNorm + GELU) -> ONNX -> trimnet prune --target-params 0.3 --reconstruct -> onnxruntime-node',
  `PyTorch test accuracy ${(100 * torchRes.torchTestAccuracy).toFixed(2)} % after ${arg('epochs', 2)} epochs; trimnet prune took ${pruneSeconds.toFixed(1)} s (backend ${getBackend().name}). Fashion-MNIST test set, ${n} images.\n\n${accTable}\n\nSingle-sample latency, best of ${rounds} rounds of ${reps} calls (p50), onnxruntime-node ${ort.env.versions?.common ?? ''} with 1 intra-op thread:\n\n${latTable}\n`,
);
