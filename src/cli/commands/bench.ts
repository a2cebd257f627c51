// `trimnet bench [--size N] [--json]`: a quick built-in GEMM benchmark on every available
// backend (GFLOP/s of a square float32 product, and the 1×784·(512×784)ᵀ inference latency).
// Comparisons with ml-matrix, tfjs and numpy/OpenBLAS live in `npm run bench -- gemm`.
import type { Command } from 'commander';
import { loadAddon } from '../../backend/addon.js';
import { availableBackends, tryBackend } from '../../backend/registry.js';
import type { Backend } from '../../backend/types.js';
import { TrimnetError } from '../../errors.js';
import { Rng } from '../../rng.js';
import { printJson, table } from '../util.js';

interface Row {
  backend: string;
  threads?: number;
  size: number;
  ms: number;
  gflops: number;
  latencyUs: number;
}

function rand(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.uniform(-0.5, 0.5));
}

/** Median ms of fn over at least `minReps` runs filling ~minMs, after one warm-up. */
function medianMs(fn: () => void, minMs: number, minReps = 3): number {
  fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minReps || (performance.now() - start < minMs && times.length < 100_000)) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)]!;
}

function parseSize(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 8192) {
    throw new TrimnetError('E_ARG', `Expected an integer in [1, 8192] for --size but received ${JSON.stringify(v)}`);
  }
  return n;
}

function measure(backend: Backend, name: string, size: number, threads?: number): Row {
  const { addon } = loadAddon();
  if (threads !== undefined) addon?.setThreads(threads);
  const a = rand(size * size, 1);
  const b = rand(size * size, 2);
  const c = new Float32Array(size * size);
  const ms = medianMs(() => backend.gemm(size, size, size, a, b, c), 300);
  const x = rand(784, 3);
  const w = rand(512 * 784, 4);
  const bias = rand(512, 5);
  const y = new Float32Array(512);
  const lat = medianMs(() => backend.gemm(1, 512, 784, x, w, y, { transB: true, bias, activation: 'relu' }), 200, 10);
  if (threads !== undefined) addon?.setThreads(0);
  return { backend: name, threads, size, ms, gflops: (2 * size ** 3) / ms / 1e6, latencyUs: lat * 1000 };
}

export function register(program: Command): void {
  program
    .command('bench')
    .description('quick GEMM benchmark on the available backends (peers: npm run bench -- gemm)')
    .option('--size <n>', 'matrix size n for the n×n·n×n product', parseSize, 512)
    .option('--json', 'print JSON')
    .action((opts: { size: number; json?: boolean }) => {
      const rows: Row[] = [];
      const skipped: string[] = [];
      const { addon } = loadAddon();
      for (const info of availableBackends()) {
        if (!info.available) continue;
        const backend = tryBackend(info.name);
        if (!backend) continue;
        if (info.name === 'js' && opts.size > 256) {
          skipped.push(`js (slow reference; only for --size <= 256)`);
          continue;
        }
        if (info.name === 'cpu' && addon) {
          const n = addon.info().threads;
          rows.push(measure(backend, 'cpu', opts.size, n));
          if (n > 1) rows.push(measure(backend, 'cpu', opts.size, 1));
        } else {
          rows.push(measure(backend, info.name, opts.size));
        }
      }
      if (opts.json) return printJson({ size: opts.size, kernel: addon?.info().kernel ?? null, results: rows, skipped });
      console.log(`GEMM ${opts.size}×${opts.size}·${opts.size}×${opts.size} float32${addon ? ` (cpu kernel: ${addon.info().kernel})` : ''}\n`);
      console.log(
        table(
          ['backend', 'threads', 'ms', 'GFLOP/s', '1×784·784×512 µs'],
          rows.map((r) => [r.backend, r.threads ?? '', r.ms.toFixed(2), r.gflops.toFixed(1), r.latencyUs.toFixed(1)]),
        ),
      );
      for (const s of skipped) console.log(`skipped: ${s}`);
      console.log('\nFor ml-matrix, tfjs (cpu, wasm) and numpy/OpenBLAS in the same run: npm run bench -- gemm');
    });
}
