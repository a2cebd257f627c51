// SVD (thin, with U and V) of float32 matrices: trimnet's native cpu kernel vs LAPACK's float32
// sgesdd (scipy.linalg.svd(a, lapack_driver='gesdd') on a float32 array, OpenBLAS with 2
// threads, like trimnet) and ml-matrix (pure JS, float64; only the small sizes, it is slow). Same run, same
// machine: ratios are what to read. Results: bench/results/svd.md.
//   node bench/svd.bench.mjs [--quick] [--single] [--rounds=R]
// --single: one thread on both sides (results in bench/results/svd-single.md) (trimnet setThreads(1), OPENBLAS_NUM_THREADS=1), which is
// the steadier comparison on a busy machine.
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { benchDir, mdTable, pinProcess, python, runPython, timeMs, writeResults } from './lib.mjs';
import { join } from 'node:path';

const { tryBackend } = await import('../dist/src/index.js');
const cpu = tryBackend('cpu');
if (!cpu?.svd) {
  console.error('svd bench: the native cpu backend with svd is not available (npm run build)');
  process.exit(1);
}
const quick = process.argv.includes('--quick');
const single = process.argv.includes('--single');
const { loadAddon } = await import('../dist/src/backend/addon.js');
const addon = loadAddon().addon;
// Like for like (as in gemm.bench.mjs): our AVX2 kernels on an AVX-512 CPU race OpenBLAS's Haswell ones.
const isa = (addon?.info().kernel ?? 'none').split(' ')[0];
const blasCore = isa === 'avx2' && addon?.info().cpuFeatures.includes('avx512f') ? { OPENBLAS_CORETYPE: 'Haswell' } : {};
const threads = single ? 1 : 2;
addon.setThreads(threads);
// One thread each: both on CPU 0 (see pinProcess), so neither side gets the faster CPU by chance.
const pinned = single && pinProcess(0) ? 0 : undefined;
const shapes = quick ? [[256, 256], [768, 768]] : [[256, 256], [768, 768], [1024, 1024], [2000, 768]];
const mlShapes = new Set(['256x256', '768x768']);

function rand(m, n, seed = 1) {
  let s = seed >>> 0;
  const a = new Float32Array(m * n);
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

// Nominal flops of a thin SVD with U and V (Golub & Van Loan, Golub–Reinsch: 14mn² + 8n³, m >= n).
const flops = (m, n) => {
  const [a, b] = m >= n ? [m, n] : [n, m];
  return 14 * a * b * b + 8 * b ** 3;
};

const key = ([m, n]) => `${m}x${n}`;
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const havePython = python(['scipy']);
if (!havePython) console.warn('svd bench: /usr/bin/python3 with scipy not found; no sgesdd column');

// One round: sgesdd on every shape (its own process), then trimnet on every shape with the
// divide-and-conquer bidiagonal SVD (the default) and with the bidiagonal QR
// (TRIMNET_SVD_BDQR=1, read by the addon at each call). Rounds alternate so a busy spell on the
// shared machine falls on all three; the table gives the median of the rounds' medians.
const rounds = Number(process.argv.find((x) => x.startsWith('--rounds='))?.split('=')[1] ?? (quick ? 2 : 5));
const runs = new Map(shapes.map((s) => [key(s), { dc: [], dcCpu: [], qr: [], qrCpu: [], sg: [], sgCpu: [] }]));
// Both sides warm up for WARM_MS before they are timed (the peer script likewise): a process's
// first ~0.5 s of SVDs, and the first after it spawns a child (every page copy-on-write after the
// fork), pay a few hundred page faults per call (~12 µs each on these VMs: 2× at 256²) until
// glibc's malloc thresholds and V8's freeing of old results settle. Steady state is compared.
const WARM_MS = quick ? 300 : 1000;
function timeTrimnet(a, m, n, cpuTimes) {
  const t0 = performance.now();
  while (performance.now() - t0 < WARM_MS) cpu.svd(a, m, n, false);
  return timeMs(
    () => {
      const c0 = process.cpuUsage();
      cpu.svd(a, m, n, false);
      const c = process.cpuUsage(c0);
      cpuTimes.push((c.user + c.system) / 1e6);
    },
    { minMs: 500, minReps: 3 },
  );
}
for (let r = 0; r < rounds; r++) {
  const peer = havePython
    ? runPython(join(benchDir, 'peers', 'scipy_svd.py'), [`--warm=${WARM_MS / 1000}`, ...shapes.map(key)], { OPENBLAS_NUM_THREADS: String(threads), ...blasCore }, { cpu: pinned })
    : null;
  for (const [m, n] of shapes) {
    const run = runs.get(key([m, n]));
    const a = rand(m, n);
    const cpuTimes = [];
    delete process.env.TRIMNET_SVD_BDQR;
    run.dc.push(timeTrimnet(a, m, n, cpuTimes) / 1000);
    run.dcCpu.push(median(cpuTimes));
    process.env.TRIMNET_SVD_BDQR = '1';
    const qrCpuTimes = [];
    run.qr.push(timeTrimnet(a, m, n, qrCpuTimes) / 1000);
    run.qrCpu.push(median(qrCpuTimes));
    delete process.env.TRIMNET_SVD_BDQR;
    if (peer?.[key([m, n])]) {
      run.sg.push(peer[key([m, n])].seconds);
      run.sgCpu.push(peer[key([m, n])].cpu);
    }
  }
  console.log(`round ${r + 1}/${rounds} done`);
}

const rows = [];
for (const [m, n] of shapes) {
  const run = runs.get(key([m, n]));
  const s = median(run.dc);
  const qr = median(run.qr);
  const sg = run.sg.length ? median(run.sg) : undefined;
  const sgCpu = run.sgCpu.length ? median(run.sgCpu) : undefined;
  const cpuS = median(run.dcCpu);
  const qrCpuS = median(run.qrCpu);
  let ml = null;
  if (mlShapes.has(key([m, n]))) {
    const a = rand(m, n);
    const mat = new Matrix(m, n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) mat.set(i, j, a[i * n + j]);
    const t0 = performance.now();
    new SingularValueDecomposition(mat, { autoTranspose: true });
    ml = (performance.now() - t0) / 1000;
  }
  const row = [
    `${m}×${n}`,
    s.toFixed(4),
    (flops(m, n) / s / 1e9).toFixed(1),
    sg !== undefined ? sg.toFixed(4) : '–',
    sg !== undefined ? `${(s / sg).toFixed(2)}×` : '–',
    qr.toFixed(4),
    sg !== undefined ? `${(qr / sg).toFixed(2)}×` : '–',
    ml !== null ? ml.toFixed(2) : '–',
    ml !== null ? `${(ml / s).toFixed(0)}×` : '–',
    ...(single
      ? [
          cpuS.toFixed(4),
          sgCpu !== undefined ? sgCpu.toFixed(4) : '–',
          sgCpu !== undefined ? `${(cpuS / sgCpu).toFixed(2)}×` : '–',
          sgCpu !== undefined ? `${(qrCpuS / sgCpu).toFixed(2)}×` : '–',
        ]
      : []),
  ];
  console.log(row.join('  '));
  rows.push(row);
}

const body = [
  'Thin SVD (U, S, V) of a uniform(-1, 1) float32 matrix; median seconds. GFLOP/s use the nominal',
  'Golub–Reinsch count 14mn² + 8n³. sgesdd: `scipy.linalg.svd(a, lapack_driver="gesdd")` on float32,',
  `OpenBLAS, OPENBLAS_NUM_THREADS=${threads}${blasCore.OPENBLAS_CORETYPE ? `, OPENBLAS_CORETYPE=${blasCore.OPENBLAS_CORETYPE} (like for like with trimnet's ${isa} kernels)` : ''}. ml-matrix: one run (float64, pure JS).`,
  `trimnet: ${cpu.name} backend, ${addon.info().threads} thread(s); "QR path": the same with TRIMNET_SVD_BDQR=1`,
  '(bidiagonal QR instead of divide and conquer for the bidiagonal SVD).',
  `${rounds} alternating rounds (sgesdd, trimnet, trimnet QR path per round); medians of the rounds' medians.`,
  'The machine was shared with other jobs while this ran.',
  '',
  mdTable(
    [
      'shape', 'trimnet cpu s', 'GFLOP/s', 'sgesdd s', 'trimnet / sgesdd', 'QR path s', 'QR path / sgesdd', 'ml-matrix s',
      'ml-matrix / trimnet',
      ...(single ? ['trimnet CPU-time s', 'sgesdd CPU-time s', 'CPU-time ratio', 'QR path CPU-time ratio'] : []),
    ],
    rows,
  ),
  '',
  'Targets: trimnet / sgesdd ≤ 1.5× (goal ≤ 1.0×); ml-matrix / trimnet ≥ 30×.',
  ...(single ? ['', 'With --single, the CPU-time columns (process CPU seconds, median) are the steadier measure on a busy machine.'] : []),
  ...(pinned !== undefined ? ['', `Both sides pinned to CPU ${pinned} (taskset): this VM's CPUs differ in speed.`] : []),
].join('\n');
console.log(writeResults(single ? 'svd-single' : 'svd', `SVD: trimnet cpu vs LAPACK sgesdd vs ml-matrix${single ? ' (one thread each)' : ''}`, body));
