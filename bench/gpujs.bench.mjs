#!/usr/bin/env node
// gpujs backend GEMM: gpu.js's WebAssembly mode (what 'auto' picks without headless-gl) and its
// CPU mode, against the js reference and the native cpu backend where built, in the same run.
// C = A·B, square float32, GFLOP/s = 2·n³ / time. `--quick` measures 256³ only.
// Needs `npm run build:ts` first (imports dist/).
import { mdTable, timeMs, writeResults } from './lib.mjs';
import { probeGpujs } from '../dist/src/backend/gpujs.js';
import { jsBackend } from '../dist/src/backend/js.js';
import { tryBackend } from '../dist/src/backend/registry.js';

const quick = process.argv.includes('--quick');
const sizes = quick ? [256] : [64, 128, 256, 512];

const peers = [];
for (const mode of ['webasm', 'cpu']) {
  const p = probeGpujs({ mode });
  if (p.backend) peers.push({ label: `gpujs (${p.backend.mode}, gpu.js ${p.backend.version})`, b: p.backend });
  else console.warn(`gpujs ${mode}: ${p.reason}`);
}
peers.push({ label: 'js', b: jsBackend });
const cpu = tryBackend('cpu');
if (cpu) peers.push({ label: 'cpu (native)', b: cpu });

function rand(n) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

const rows = [];
for (const n of sizes) {
  const a = rand(n * n);
  const b = rand(n * n);
  const c = new Float32Array(n * n);
  const gflops = {};
  for (const { label, b: be } of peers) {
    const ms = timeMs(() => be.gemm(n, n, n, a, b, c), { minMs: n >= 512 ? 1000 : 300, minReps: 3 });
    gflops[label] = (2 * n ** 3) / (ms * 1e6);
    console.log(`${n}³ ${label}: ${ms.toFixed(2)} ms, ${gflops[label].toFixed(2)} GFLOP/s`);
  }
  const js = gflops.js;
  rows.push([`${n}³`, ...peers.map(({ label }) => `${gflops[label].toFixed(2)} (${(gflops[label] / js).toFixed(2)}× js)`)]);
}

const body = `GEMM GFLOP/s (ratio to the js reference), C = A·B, square float32, median of repeated calls.\n\n${mdTable(['size', ...peers.map((p) => p.label)], rows)}`;
console.log(`\n${writeResults('gpujs', 'gpujs backend GEMM', body)}`);
process.exit(0); // the webasm worker pool is unref'd, but exit promptly anyway
