// Run by test/kernels-forced.test.ts in a child process with TRIMNET_KERNEL set (the kernel is
// chosen once, when the addon loads): the cpu backend's GEMM, colStats and SVD against the js
// reference on awkward shapes, and the float64 Cholesky. Prints one JSON line: { kernel, checks, failures: [...] }.
import { loadAddon } from '../../dist/src/backend/addon.js';
import { createCpuBackend } from '../../dist/src/backend/cpu.js';
import { gemmJs, colStatsJs } from '../../dist/src/backend/js.js';
import { ACTIVATIONS, newColStats } from '../../dist/src/backend/types.js';
import { Rng } from '../../dist/src/rng.js';
import { cholesky64Js } from '../../dist/src/backend/dense64-js.js';
import { spdMatrix } from './spd.mjs';
import { gemmTolerance, svdProblems } from './tolerance.mjs';

const load = loadAddon();
if (!load.addon) {
  console.log(JSON.stringify({ error: `addon unavailable: ${load.error}` }));
  process.exit(0);
}
const cpu = createCpuBackend(load.addon);
const failures = [];
let checks = 0;

function rand(n, seed) {
  const r = new Rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r.uniform(-1, 1);
  return a;
}

function close(got, want, tol, label) {
  checks++;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol * (1 + Math.abs(want[i])))) {
      failures.push(`${label}: element ${i}: got ${got[i]}, expected ${want[i]}`);
      return;
    }
  }
}

// GEMM: edge tiles, k = 1, empty, m <= 4 (unpacked path), transposes, alpha/beta, epilogues,
// and one large enough for every thread and several k blocks.
const shapes = [
  [1, 1, 1], [7, 7, 7], [1, 784, 512], [3, 70, 900], [127, 129, 128], [129, 127, 1],
  [1000, 7, 33], [5, 1000, 3], [0, 5, 5], [5, 5, 0], [64, 300, 257], [400, 380, 300],
];
for (const [m, n, k] of shapes) {
  const a = rand(m * k, 1), b = rand(k * n, 2), c0 = rand(m * n, 3), bias = rand(n, 4);
  for (const transA of [false, true])
    for (const transB of [false, true])
      for (const opts of [
        { transA, transB },
        { transA, transB, alpha: 0.5, beta: -1.5 },
        { transA, transB, bias, activation: 'leaky_relu', leakySlope: 0.1 },
      ]) {
        const want = c0.slice(), got = c0.slice();
        gemmJs(m, n, k, a, b, want, opts);
        cpu.gemm(m, n, k, a, b, got, opts);
        close(got, want, gemmTolerance(k), `gemm ${m}×${n}×${k} ${JSON.stringify({ ...opts, bias: !!opts.bias })}`);
      }
}
for (const act of ACTIVATIONS) {
  const [m, n, k] = [33, 65, 40];
  const a = rand(m * k, 5), b = rand(k * n, 6), bias = rand(n, 7);
  const want = new Float32Array(m * n), got = new Float32Array(m * n);
  gemmJs(m, n, k, a, b, want, { bias, activation: act });
  cpu.gemm(m, n, k, a, b, got, { bias, activation: act });
  close(got, want, 1e-4, `gemm epilogue ${act}`);
}

// colStats, every activation, with write-back.
for (const act of ACTIVATIONS) {
  for (const [rows, cols] of [[1, 1], [7, 129], [300, 33]]) {
    const x = rand(rows * cols, 8);
    const xr = x.slice(), xc = x.slice();
    const want = newColStats(cols), got = newColStats(cols);
    colStatsJs(xr, rows, cols, act, want, { writeBack: true });
    cpu.colStats(xc, rows, cols, act, got, { writeBack: true });
    const label = `colStats ${act} ${rows}×${cols}`;
    close(xc, xr, 1e-5, `${label} write-back`);
    close(Float32Array.from(got.sum), Float32Array.from(want.sum), 1e-4, `${label} sum`);
    close(Float32Array.from(got.sumAbs), Float32Array.from(want.sumAbs), 1e-4, `${label} sumAbs`);
    close(Float32Array.from(got.zeros), Float32Array.from(want.zeros), 0, `${label} zeros`);
    close(Float32Array.from(got.max), Float32Array.from(want.max), 1e-6, `${label} max`);
  }
}

// SVD: thin and full, tall and wide, large enough for the threaded and QR-first paths:
// reconstruction and orthonormality (the kernels differ only in how the loops are compiled).
function svdCheck(m, n, full, seed) {
  const a = rand(m * n, seed);
  checks++;
  failures.push(...svdProblems(cpu.svd(a, m, n, full), a, m, n, full, `svd ${m}×${n} full=${full}`));
}
for (const [m, n, full, seed] of [[1, 1, false, 1], [7, 5, true, 2], [40, 129, false, 3], [129, 40, true, 4], [260, 250, false, 5], [400, 120, false, 6]])
  svdCheck(m, n, full, seed);

// Float64 Cholesky (blocked, register-blocked trailing update) against the plain loops.
for (const n of [1, 97, 300]) {
  const r = new Rng(n);
  const a = spdMatrix(n, () => r.uniform(-1, 1));
  const ln = a.slice(), lj = a.slice();
  const res = load.addon.cholesky64(ln, n, 0);
  const ref = cholesky64Js(lj, n, 0);
  checks++;
  if (ref.failedAt !== -1) failures.push(`cholesky64 ${n}: the reference failed at ${ref.failedAt}`);
  else if (res.failedAt !== -1) failures.push(`cholesky64 ${n}: failed at ${res.failedAt}`);
  else close(Float32Array.from(ln), Float32Array.from(lj), 1e-6, `cholesky64 ${n}`);
}

console.log(JSON.stringify({ kernel: load.addon.info().kernel, checks, failures }));
