// The cuda backend from Node, transfers included: GEMM with weights copied per call vs kept
// resident (keepOnDevice), against the cpu backend in the same run; colStats likewise.
// Kernel-only numbers against cuBLAS/cuSOLVER come from bench/gpu/run.sh (no Node needed).
// Without a usable GPU this suite says why and records that, without failing.
import { availableBackends, keepOnDevice, tryBackend, newColStats } from '../dist/src/index.js';
import { machine, mdTable, timeMs, writeResults } from './lib.mjs';

const smoke = process.argv.includes('--smoke');
const cudaAvail = availableBackends().find((b) => b.name === 'cuda');
if (!cudaAvail?.available) {
  const body = `cuda backend unavailable here: ${cudaAvail?.reason ?? 'unknown'}. GPU figures: see bench/results/gpu.md.`;
  console.log(body);
  writeResults('cuda', 'cuda backend from Node (transfers included)', body);
  process.exit(0);
}
const cuda = tryBackend('cuda');
const cpu = tryBackend('cpu');

function rand(n, seed) {
  let s = seed >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

const rows = [];
for (const [m, n, k] of smoke ? [[256, 256, 256]] : [[256, 1024, 784], [1024, 1024, 1024], [2048, 2048, 2048]]) {
  const x = rand(m * k, 1);
  const w = rand(n * k, 2); // weights [out, in], as a Linear layer: y = x·wᵀ + b
  const bias = rand(n, 3);
  const y = new Float32Array(m * n);
  const opts = { transB: true, bias, activation: 'relu' };
  const flops = 2 * m * n * k;
  const tCopy = timeMs(() => cuda.gemm(m, n, k, x, w, y, opts), { minMs: smoke ? 20 : 300 });
  const wRes = w.slice();
  const biasRes = bias.slice();
  keepOnDevice(wRes);
  keepOnDevice(biasRes);
  const tRes = timeMs(() => cuda.gemm(m, n, k, x, wRes, y, { ...opts, bias: biasRes }), { minMs: smoke ? 20 : 300 });
  const tCpu = cpu ? timeMs(() => cpu.gemm(m, n, k, x, w, y, opts), { minMs: smoke ? 20 : 300, maxReps: 20 }) : NaN;
  rows.push([
    `linear ${m}×${k} · (${n}×${k})ᵀ + relu`,
    `${tCopy.toFixed(3)} ms (${(flops / tCopy / 1e6).toFixed(0)} GFLOP/s)`,
    `${tRes.toFixed(3)} ms (${(flops / tRes / 1e6).toFixed(0)} GFLOP/s)`,
    `${tCpu.toFixed(3)} ms`,
    (tCpu / tRes).toFixed(1),
  ]);
}
{
  const [r, c] = smoke ? [1024, 256] : [16384, 1024];
  const x = rand(r * c, 4);
  const tCuda = timeMs(() => cuda.colStats(x, r, c, 'relu', newColStats(c)), { minMs: smoke ? 20 : 300 });
  const tCpu = cpu ? timeMs(() => cpu.colStats(x, r, c, 'relu', newColStats(c)), { minMs: smoke ? 20 : 300 }) : NaN;
  rows.push([`colStats relu ${r}×${c}`, `${tCuda.toFixed(3)} ms`, '–', `${tCpu.toFixed(3)} ms`, (tCpu / tCuda).toFixed(1)]);
}
const table = mdTable(['op', 'cuda, operands copied per call', 'cuda, weights resident', 'cpu', 'cpu / cuda resident'], rows);
console.log(table);
writeResults('cuda', 'cuda backend from Node (transfers included)', `${table}\n\nMachine: ${machine()}`);
