#!/usr/bin/env node
// The forward pass before/after a change, same run: predictOne (one sample, no allocation),
// forward (a 1,024-row batch) and activationStats (10,000 rows) of the 784-512-256-10 reference
// model, this checkout's dist/ against a baseline checkout's (`--baseline DIR`, e.g. /work/main),
// alternating rounds; best and median per side, and the ratio after/before (< 1 = faster).
import { join } from 'node:path';
import { mdTable, root, writeResults } from './lib.mjs';

const i = process.argv.indexOf('--baseline');
const baseDir = i > 0 ? process.argv[i + 1] : process.env.TRIMNET_BASELINE;
if (!baseDir) {
  console.log('forward bench skipped: give --baseline DIR (or TRIMNET_BASELINE), a built checkout to compare with');
  process.exit(0);
}
const r = process.argv.indexOf('--rounds');
const rounds = r > 0 ? Number(process.argv[r + 1]) : 7;
const sides = {
  before: await import(join(baseDir, 'dist/src/index.js')),
  after: await import(join(root, 'dist/src/index.js')),
};
const file = join(root, 'test/fixtures/nn/torch_784_512_256_10.safetensors');
const cases = {};
for (const [name, lib] of Object.entries(sides)) {
  const model = lib.MLP.fromSafetensors(file, { activation: 'relu' });
  const ds = lib.loadDataset('mini', { split: 'test' });
  const batch = ds.test.x.sliceRows(0, 1024);
  const statsX = lib.Tensor.from(new Float32Array(10000 * 784).map((_, k) => ds.test.x.data[k % ds.test.x.data.length]), [10000, 784]);
  const one = ds.test.x.data.slice(0, 784);
  cases[name] = {
    'predictOne (µs)': () => {
      const n = 5000;
      const t0 = process.hrtime.bigint();
      for (let k = 0; k < n; k++) model.predictOne(one);
      return Number(process.hrtime.bigint() - t0) / 1e3 / n;
    },
    'forward 1024 rows (ms)': () => {
      const t0 = process.hrtime.bigint();
      for (let k = 0; k < 5; k++) model.forward(batch);
      return Number(process.hrtime.bigint() - t0) / 1e6 / 5;
    },
    'activationStats 10k rows (ms)': () => {
      const t0 = process.hrtime.bigint();
      lib.activationStats(model, statsX);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    },
  };
}
const times = {};
for (let round = 0; round <= rounds; round++) {
  for (const side of round % 2 ? ['before', 'after'] : ['after', 'before']) {
    for (const [c, fn] of Object.entries(cases[side])) {
      const t = fn();
      if (round > 0) ((times[c] ??= { before: [], after: [] })[side]).push(t); // round 0 warms up
    }
  }
}
const best = (a) => Math.min(...a);
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const rows = Object.entries(times).map(([c, t]) => [c, best(t.before).toFixed(2), best(t.after).toFixed(2), (best(t.after) / best(t.before)).toFixed(3), (median(t.after) / median(t.before)).toFixed(3)]);
const table = mdTable(['case', 'before (best)', 'after (best)', 'after/before best', 'after/before median'], rows);
console.log(table);
writeResults("forward", `Forward pass before/after (${rounds} alternating rounds, backend ${sides.after.getBackend().name}, baseline ${baseDir})`, table);
