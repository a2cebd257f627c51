// Shared helpers for the benchmark suites: the machine's name, peers in Python, result tables.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = dirname(fileURLToPath(import.meta.url));
export const root = join(benchDir, '..');

/** "AMD EPYC (Zen, 2 cores, AVX-512), Node v20…, Linux x64" */
export function machine() {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}-${process.arch}`;
}

/** Debian's python3 (not a pyenv shim), with the named modules importable, or null. */
export function python(modules = []) {
  for (const exe of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(exe, ['-c', modules.map((m) => `import ${m}`).join(';') || 'pass'], { encoding: 'utf8' });
    if (r.status === 0) return exe;
  }
  return null;
}

/**
 * Runs a Python peer script and parses the JSON it prints on its last stdout line.
 * env: extra environment (e.g. thread counts). OpenBLAS core-type overrides set on this machine
 * are removed so a current numpy picks its best kernel (see the env notes), unless `env` sets
 * one itself (a like-for-like comparison with one of our lower kernels).
 */
export function runPython(script, args = [], env = {}, { cpu } = {}) {
  const exe = python();
  if (!exe) return null;
  const e = { ...process.env, ...env };
  if (!('OPENBLAS_CORETYPE' in env)) delete e.OPENBLAS_CORETYPE;
  if (!('OPENBLAS_L2_SIZE' in env)) delete e.OPENBLAS_L2_SIZE;
  const argv = [script, ...args.map(String)];
  const [cmd, cmdArgs] = cpu === undefined ? [exe, argv] : ['taskset', ['-c', String(cpu), exe, ...argv]];
  const r = spawnSync(cmd, cmdArgs, { encoding: 'utf8', env: e, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/**
 * Pins this process's main thread to one CPU (taskset); true when it could. One-thread
 * comparisons pin both sides to the same CPU (runPython's `cpu`): on the 2-vCPU Zen 5 VMs here
 * one vCPU runs L2-bound work 25–30 % slower than the other (the same predictOne pinned to each,
 * in turn), so two processes left to the scheduler can land on different-speed CPUs.
 */
export function pinProcess(cpu) {
  const r = spawnSync('taskset', ['-p', '-c', String(cpu), String(process.pid)], { encoding: 'utf8' });
  return r.status === 0;
}

/**
 * A short name for this CPU for result file names: the AMD Zen generation from /proc/cpuinfo's
 * family/model (VMs often hide the model name), else the model name as a slug.
 */
export function cpuTag() {
  let info = '';
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return 'unknown-cpu';
  }
  const field = (k) => info.match(new RegExp(`^${k}\\s*:\\s*(.+)$`, 'm'))?.[1]?.trim() ?? '';
  const vendor = field('vendor_id'), family = Number(field('cpu family')), model = Number(field('model'));
  if (vendor === 'AuthenticAMD') {
    if (family === 0x17) return 'zen2';
    if (family === 0x1a) return 'zen5';
    if (family === 0x19) return (model >= 0x10 && model <= 0x1f) || (model >= 0x60 && model <= 0xaf) ? 'zen4' : 'zen3';
  }
  return (field('model name') || 'unknown-cpu').toLowerCase().replace(/\(r\)|\(tm\)|cpu|@.*$/g, '').trim().replace(/[^a-z0-9]+/g, '-');
}

/** Markdown table. */
export function mdTable(header, rows) {
  const line = (r) => `| ${r.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Writes bench/results/<name>.md with a title, the machine and the body. */
export function writeResults(name, title, body) {
  const dir = join(benchDir, 'results');
  mkdirSync(dir, { recursive: true });
  const text = `# ${title}\n\nMachine: ${machine()}\nDate: ${new Date().toISOString().slice(0, 10)}\n\n${body}\n`;
  writeFileSync(join(dir, `${name}.md`), text);
  return text;
}

/** Median time in ms of fn over enough repetitions to fill ~minMs (after one warm-up). */
export function timeMs(fn, { minMs = 300, minReps = 3, maxReps = 10_000 } = {}) {
  fn();
  const times = [];
  const start = performance.now();
  while ((times.length < minReps || performance.now() - start < minMs) && times.length < maxReps) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
