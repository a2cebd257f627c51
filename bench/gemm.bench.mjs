#!/usr/bin/env node
// GEMM benchmark: square float32 C = A·B at 64…2048 for each available trimnet backend (cpu
// with 2 threads and 1 thread; js up to 256), ml-matrix `mmul`, @tensorflow/tfjs (cpu and wasm
// backends) and numpy's OpenBLAS float32 matmul (bench/peers/numpy_gemm.py, Debian python3),
// all in the same run; plus the single-request inference latency x[1×784]·Wᵀ (W 512×784).
// JS-side timings use benchmark.js; numpy times itself (median of repeats).
//
//   npm run bench -- gemm [--quick] [--full] [--rounds N]
//     --quick   sizes up to 512 (smoke test)      --full   slow peers (ml-matrix, tfjs cpu) up to 2048
//     --rounds  repeat the cpu-vs-numpy comparison at every size N times (default 3), report the median ratio
//               (each round compares per-call medians, both sides timed call by call the same way)
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Benchmark from 'benchmark';
import { cpuTag, machine, mdTable, root, runPython, timeMs, writeResults } from './lib.mjs';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const full = argv.includes('--full');
const roundsArg = argv.indexOf('--rounds');
const rounds = roundsArg >= 0 ? Math.max(1, Number(argv[roundsArg + 1]) || 1) : 3;
const SIZES = quick ? [64, 128, 256, 512] : [64, 128, 256, 512, 1024, 2048];
const require = createRequire(import.meta.url);

const trimnet = await import(join(root, 'dist', 'src', 'index.js'));
const { loadAddon } = await import(join(root, 'dist', 'src', 'backend', 'addon.js'));
const { addon } = loadAddon();

const { Rng } = await import(join(root, 'dist', 'src', 'rng.js'));

function rand(n, seed = 1) {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.uniform(-0.5, 0.5));
}

/** Median seconds per call of fn, measured by benchmark.js (sync). */
function bench(name, fn, { maxTime = 1, minSamples = 5 } = {}) {
  const b = new Benchmark(name, fn, { maxTime, minSamples, initCount: 1 });
  b.run({ async: false });
  if (b.error) throw b.error;
  const s = [...b.stats.sample].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const h = Math.floor(s.length / 2);
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

// ---- contenders: name -> { maxSize, setup(size) -> fn } ------------------------------------
const contenders = [];
const cpu = trimnet.availableBackends().find((b) => b.name === 'cpu')?.available ? trimnet.tryBackend('cpu') : null;
function trimnetGemm(backend, threads) {
  return (s) => {
    const a = rand(s * s, 1), b = rand(s * s, 2), c = new Float32Array(s * s);
    // The thread count is set here, once, before this contender is timed (not a part of a GEMM).
    if (threads && addon) addon.setThreads(threads);
    return () => backend.gemm(s, s, s, a, b, c);
  };
}
if (cpu) {
  contenders.push({ name: 'trimnet cpu (2 threads)', key: 'cpu2', max: 4096, setup: trimnetGemm(cpu, 2) });
  contenders.push({ name: 'trimnet cpu (1 thread)', key: 'cpu1', max: 4096, setup: trimnetGemm(cpu, 1) });
}
for (const b of trimnet.availableBackends()) {
  if (b.available && b.name !== 'cpu' && b.name !== 'js') {
    contenders.push({ name: `trimnet ${b.name}`, key: b.name, max: 2048, setup: trimnetGemm(trimnet.tryBackend(b.name), 0) });
  }
}
contenders.push({ name: 'trimnet js', key: 'js', max: 256, setup: trimnetGemm(trimnet.tryBackend('js'), 0) });

let Matrix = null;
try {
  ({ Matrix } = await import('ml-matrix'));
  contenders.push({
    name: 'ml-matrix mmul',
    key: 'mlmatrix',
    max: full ? 2048 : 1024,
    setup: (s) => {
      const a = new Matrix(s, s), b = new Matrix(s, s);
      const ra = rand(s * s, 1), rb = rand(s * s, 2);
      for (let i = 0; i < s; i++) for (let j = 0; j < s; j++) { a.set(i, j, ra[i * s + j]); b.set(i, j, rb[i * s + j]); }
      return () => a.mmul(b);
    },
  });
} catch (err) {
  console.warn(`ml-matrix not available: ${err.message}`);
}

let tf = null;
const tfBackends = {};
try {
  tf = await import('@tensorflow/tfjs');
  tfBackends.cpu = true;
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    wasm.setWasmPaths(join(dist, 'dist') + '/');
    tfBackends.wasm = await tf.setBackend('wasm');
  } catch (err) {
    console.warn(`tfjs wasm backend not available: ${err.message}`);
  }
} catch (err) {
  console.warn(`@tensorflow/tfjs not available: ${err.message}`);
}
function tfGemm(backendName) {
  return (s) => {
    tf.setBackend(backendName);
    const a = tf.tensor2d(rand(s * s, 1), [s, s]), b = tf.tensor2d(rand(s * s, 2), [s, s]);
    return () => {
      if (tf.getBackend() !== backendName) tf.setBackend(backendName);
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    };
  };
}
if (tf) {
  contenders.push({ name: 'tfjs cpu', key: 'tfcpu', max: full ? 2048 : 1024, setup: tfGemm('cpu') });
  if (tfBackends.wasm) contenders.push({ name: 'tfjs wasm', key: 'tfwasm', max: 2048, setup: tfGemm('wasm') });
}

// ---- numpy peer ---------------------------------------------------------------------------
// Like for like: when our AVX2 kernel runs (forced with TRIMNET_KERNEL=avx2, or an AVX2-only
// CPU), OpenBLAS runs its Haswell kernels (AVX2 + FMA); otherwise it picks its best.
const isa = (addon?.info().kernel ?? 'none').split(' ')[0];
const avx512cpu = addon?.info().cpuFeatures.includes('avx512f');
const blasEnv = { OPENBLAS_NUM_THREADS: '2', ...(isa === 'avx2' && avx512cpu ? { OPENBLAS_CORETYPE: 'Haswell' } : {}) };
function numpy(sizes, latency = false) {
  try {
    return runPython(join(root, 'bench', 'peers', 'numpy_gemm.py'), [...sizes, ...(latency ? ['--latency'] : [])], blasEnv);
  } catch (err) {
    console.warn(`numpy peer failed: ${err.message.split('\n')[0]}`);
    return null;
  }
}

// ---- run ----------------------------------------------------------------------------------
const gflops = {}; // key -> size -> GFLOP/s
for (const c of contenders) gflops[c.key] = {};
const np = numpy(SIZES, true);
if (np) gflops.numpy = np.gflops;
// Warm-up (JIT, benchmark.js, the clock): the first contender timed otherwise reads ~30 % low.
if (cpu) bench('warm-up', trimnetGemm(cpu, 2)(SIZES[0]), { maxTime: 0.5 });
for (const s of SIZES) {
  for (const c of contenders) {
    if (s > c.max) continue;
    const fn = c.setup(s);
    const slow = s >= 1024 && !c.key.startsWith('cpu') && c.key !== 'tfwasm';
    const sec = bench(`${c.name} ${s}`, fn, slow ? { maxTime: 0.1, minSamples: 1 } : { maxTime: s >= 1024 ? 2 : 0.5, minSamples: 5 });
    gflops[c.key][s] = (2 * s ** 3) / sec / 1e9;
    process.stdout.write(`  ${c.name.padEnd(26)} ${String(s).padStart(5)}: ${gflops[c.key][s].toFixed(1)} GFLOP/s\n`);
  }
}

// Repeated A/B at every size: numpy then cpu (2 threads), `rounds` times; each round compares
// the per-call median of each side, timed the same way (each call on its own clock, ~0.3 s of
// calls: timeMs here, median_time in numpy_gemm.py), so a preempted call on a shared machine
// moves neither side; the report gives the median ratio over the rounds.
const ab = {};
if (cpu && np) {
  for (const s of SIZES) {
    const ratios = [];
    for (let r = 0; r < rounds; r++) {
      const n = numpy([s]);
      const ours = (2 * s ** 3) / timeMs(trimnetGemm(cpu, 2)(s), { minMs: 300, minReps: 5 }) / 1e6;
      if (n) ratios.push({ ours, numpy: n.gflops[String(s)], ratio: ours / n.gflops[String(s)] });
    }
    ab[s] = { ratios, median: median(ratios.map((r) => r.ratio)) };
  }
}
if (addon) addon.setThreads(0);

// ---- latency: 1×784 · (512×784)ᵀ (+ bias, relu), the single-request inference shape --------
// A true per-call p50 (timeMs times each call; benchmark.js samples are means over many calls).
const latency = {};
const p50us = (fn, minMs) => timeMs(fn, { minMs, minReps: 20 }) * 1000;
{
  const x = rand(784, 3), w = rand(512 * 784, 4), bias = rand(512, 5), y = new Float32Array(512);
  const opts = { transB: true, bias, activation: 'relu' };
  if (cpu) {
    latency['trimnet cpu'] = p50us(() => cpu.gemm(1, 512, 784, x, w, y, opts), 1000);
    latency['trimnet cpu (no epilogue)'] = p50us(() => cpu.gemm(1, 512, 784, x, w, y, { transB: true }), 1000);
  }
  const js = trimnet.tryBackend('js');
  latency['trimnet js'] = p50us(() => js.gemm(1, 512, 784, x, w, y, opts), 500);
  if (Matrix) {
    const xm = new Matrix([Array.from(x)]);
    const wt = new Matrix(784, 512);
    for (let i = 0; i < 512; i++) for (let j = 0; j < 784; j++) wt.set(j, i, w[i * 784 + j]);
    latency['ml-matrix'] = p50us(() => xm.mmul(wt), 500);
  }
  if (tf) {
    for (const b of ['cpu', ...(tfBackends.wasm ? ['wasm'] : [])]) {
      tf.setBackend(b);
      const xt = tf.tensor2d(x, [1, 784]), wt = tf.tensor2d(w, [512, 784]);
      latency[`tfjs ${b}`] = p50us(() => {
        const c = tf.matMul(xt, wt, false, true);
        c.dataSync();
        c.dispose();
      }, 500);
    }
  }
  if (np?.latency_us) latency['numpy (OpenBLAS, in Python)'] = np.latency_us;
}

// ---- peak ---------------------------------------------------------------------------------
const cores = os.cpus().length;
let ghz = Number(process.env.TRIMNET_PEAK_GHZ) || 0;
if (!ghz) {
  try {
    const mhz = readFileSync('/proc/cpuinfo', 'utf8').match(/cpu MHz\s*:\s*([\d.]+)/);
    ghz = mhz ? Number(mhz[1]) / 1000 : 0;
  } catch {
    ghz = 0;
  }
}
const avx512 = addon?.info().cpuFeatures.includes('avx512f');
const flopPerCycle = avx512 && isa === 'avx512' ? 64 : 32; // 2 FMA pipes × (16|8) float32 lanes × 2 FLOP
const peak = cores * ghz * flopPerCycle;

// ---- report -------------------------------------------------------------------------------
const cols = [...contenders.map((c) => c.key), ...(np ? ['numpy'] : [])];
const names = Object.fromEntries([...contenders.map((c) => [c.key, c.name]), ['numpy', 'numpy OpenBLAS (2 threads)']]);
const f = (v) => (v === undefined ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const rows = SIZES.map((s) => {
  const r = [String(s), ...cols.map((k) => f(gflops[k]?.[s]))];
  const c2 = gflops.cpu2?.[s];
  r.push(c2 && gflops.numpy?.[s] ? `${(c2 / gflops.numpy[s]).toFixed(2)}×` : '–');
  r.push(c2 && gflops.mlmatrix?.[s] ? `${(c2 / gflops.mlmatrix[s]).toFixed(0)}×` : '–');
  r.push(c2 && peak ? `${((100 * c2) / peak).toFixed(0)}%` : '–');
  return r;
});
const header = ['n (n×n·n×n)', ...cols.map((k) => names[k]), 'cpu2 / numpy', 'cpu2 / ml-matrix', 'cpu2 / peak'];
const table = mdTable(header, rows);
const abText = Object.entries(ab)
  .map(
    ([s, v]) =>
      `- ${s}³: cpu (2 threads) / numpy (per-call median of each side per round) = ` +
      `${v.ratios.map((r) => `${r.ratio.toFixed(2)} (${r.ours.toFixed(0)} vs ${r.numpy.toFixed(0)} GFLOP/s)`).join(', ')}; ` +
      `median over ${v.ratios.length} rounds **${v.median.toFixed(2)}×**`,
  )
  .join('\n');
const latTable = mdTable(
  ['1×784 · (512×784)ᵀ + bias, relu', 'p50 µs', 'vs trimnet cpu'],
  Object.entries(latency).map(([k, v]) => [k, v.toFixed(1), latency['trimnet cpu'] ? `${(v / latency['trimnet cpu']).toFixed(1)}×` : '–']),
);
const blas = np?.blas ? `numpy ${np.blas.numpy}, ${JSON.stringify(np.blas.threadpool)}` : 'numpy not available';
const body = [
  `GFLOP/s (higher is better), square float32 GEMM, median of benchmark.js samples; numpy times itself the same way.`,
  `trimnet kernel: ${addon ? `${addon.info().kernel}` : 'addon not loaded'} (L2 ${Math.round((addon?.info().l2CacheBytes ?? 0) / 1024)} KiB); ${blas}` +
    (blasEnv.OPENBLAS_CORETYPE ? ` (OPENBLAS_CORETYPE=${blasEnv.OPENBLAS_CORETYPE}, like for like).` : '.'),
  '',
  table,
  '',
  abText ? `Repeated A/B (the machine is shared, so trust ratios over absolute numbers):\n${abText}\n` : '',
  `Peak: ${cores} cores × ${ghz.toFixed(2)} GHz × ${flopPerCycle} FLOP/cycle = ${peak.toFixed(0)} GFLOP/s ` +
    `(assumes ${flopPerCycle === 64 ? 'Zen 5 full-width AVX-512: 2 × 512-bit FMA pipes' : '2 × 256-bit FMA pipes'} per core at the clock /proc/cpuinfo reports; ` +
    `boost clocks can exceed it, so fractions above 100% of a pipe mean the core ran faster than that clock). Override with TRIMNET_PEAK_GHZ.`,
  '',
  'Single-request inference latency (per-call p50 in µs, including the call from JS; numpy includes its Python call):',
  '',
  latTable,
].join('\n');
console.log(`\n${machine()}\n\n${body}`);
// One file per kernel ISA and CPU, so a run on another machine adds a table instead of
// overwriting this one's (bench/results/gemm.md is the first machine's, kept as it was).
writeResults(`gemm-${isa}-${cpuTag()}`, `GEMM (${isa} kernel): trimnet vs ml-matrix, tfjs (cpu, wasm) and numpy/OpenBLAS`, body);
