// Fuzz: the CLI's argument handling. main(argv) with generated argv must resolve to exit code 0
// or 1 — never throw, never call process.exit, never end in an "internal error" (an untyped
// exception that main had to catch). Paths offered are small: a tiny model (6-5-3) that fits a
// tiny IDX dataset, damaged files, a directory and missing files.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { buildProgram, main } from '../../src/cli/main.js';
import { writeIdx } from '../../src/io/idx.js';
import { MLP } from '../../src/nn/mlp.js';
import { RUNS, TIMEOUT, params } from './fuzz-util.js';

// Commands that would run for long on valid input (training, benchmarks): fuzzed with a
// trailing unknown option, so only their parsing is exercised.
const LONG = new Set(['train', 'demo', 'bench', 'sweep']);
const COMMANDS = ['train', 'eval', 'stats', 'prune', 'sweep', 'l2', 'embed', 'align', 'bench', 'info', 'demo', 'help', 'nope', ''];
const FLAGS = [
  '--threshold', '--statistic', '--relative', '--compensate-bias', '--reconstruct', '--target-params', '--finetune', '--data', '--out', '--json',
  '--model', '--epochs', '--batch-size', '--lr', '--seed', '--amount', '--count', '--n', '--dim', '--shrink', '--optimizer', '--sizes', '--limit',
  '--method', '--k', '--ridge', '--normalize', '--metric', '--stats', '--backend', '--help', '-h', '--version', '-V', '--', '-', '--=', '---x',
];

let dir = '';
let tiny = '';
let files: string[] = [];
let withData = new Set<string>();
const fashionEnv = process.env.TRIMNET_FASHION_MNIST;
let codes = new Map<number, number>();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'trimnet-fuzz-cli-'));
  const model = MLP.create({ sizes: [6, 5, 3], activation: 'relu', seed: 2 }).toSafetensors(); // fits the tiny dataset below
  const put = (name: string, bytes: Uint8Array | string) => {
    writeFileSync(join(dir, name), bytes);
    return join(dir, name);
  };
  mkdirSync(join(dir, 'adir'));
  // A tiny IDX dataset (2x3-pixel images, 3 classes) that every --data points at, so commands
  // that do run finish in milliseconds instead of loading the bundled 12,000 images each time.
  tiny = join(dir, 'tiny');
  mkdirSync(tiny);
  const images = (n: number) => writeIdx({ shape: [n, 2, 3], data: Uint8Array.from({ length: n * 6 }, (_, i) => (i * 37) & 255) });
  const labels = (n: number) => writeIdx({ shape: [n], data: Uint8Array.from({ length: n }, (_, i) => i % 3) });
  writeFileSync(join(tiny, 'train-images-idx3-ubyte'), images(24));
  writeFileSync(join(tiny, 'train-labels-idx1-ubyte'), labels(24));
  writeFileSync(join(tiny, 't10k-images-idx3-ubyte'), images(9));
  writeFileSync(join(tiny, 't10k-labels-idx1-ubyte'), labels(9));
  process.env.TRIMNET_FASHION_MNIST = tiny;
  withData = new Set(buildProgram().commands.filter((c) => c.options.some((o) => o.long === '--data')).map((c) => c.name()));
  files = [
    put('tiny.safetensors', model),
    put('trunc.safetensors', model.slice(0, model.length >> 1)),
    put('lie.safetensors', Uint8Array.from([255, 255, 255, 255, 0, 0, 0, 0, 123, 125])),
    put('garbage.npy', 'not a numpy file'),
    put('empty.bin', new Uint8Array(0)),
    put('stats.json', '{"layers": [ {"mean": [1, 2'),
    join(dir, 'adir'),
    join(dir, 'missing.safetensors'),
    join(dir, 'no', 'such', 'dir', 'out.safetensors'),
  ];
});
afterAll(() => {
  if (fashionEnv === undefined) delete process.env.TRIMNET_FASHION_MNIST;
  else process.env.TRIMNET_FASHION_MNIST = fashionEnv;
  rmSync(dir, { recursive: true, force: true });
  console.log(`[fuzz] cli: ${[...codes.values()].reduce((a, b) => a + b, 0)} argv, exit codes ${[...codes].map(([c, n]) => `${c}: ${n}`).join(', ')}`);
});

const value = () =>
  fc.oneof(
    fc.constantFrom('0', '1', '-1', '0.28', '1e309', 'NaN', 'Infinity', '0x10', '', ' ', '2.5', '1e-9', 'mean', 'apoz', 'l2', 'cosine', 'js', 'cuda', 'mini', 'adam'),
    fc.constantFrom(...Array.from({ length: 9 }, (_, i) => i)).map((i) => `@file${i}`),
    fc.string({ maxLength: 12 }),
    fc.integer().map(String),
    fc.double().map(String),
  );
const token = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...FLAGS) }, { weight: 3, arbitrary: value() }, { weight: 1, arbitrary: fc.constantFrom(...FLAGS).chain((f) => value().map((v) => `${f}=${v}`)) });
const argv = fc.tuple(fc.constantFrom(...COMMANDS), fc.array(token, { maxLength: 8 }));

async function runCli(args: string[]): Promise<{ code: number; err: string }> {
  const out = process.stdout.write.bind(process.stdout);
  const errw = process.stderr.write.bind(process.stderr);
  const exit = process.exit.bind(process);
  const env = process.env.TRIMNET_BACKEND;
  let err = '';
  const log = console.log;
  const cerr = console.error;
  console.log = () => {};
  console.error = (...a: unknown[]) => {
    err += `${a.join(' ')}\n`;
  };
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => ((err += String(s)), true)) as typeof process.stderr.write;
  process.exit = ((c?: number) => {
    throw new Error(`process.exit(${c}) called`);
  }) as typeof process.exit;
  try {
    const code = await main(['node', 'trimnet', ...args]);
    return { code, err };
  } finally {
    process.stdout.write = out;
    process.stderr.write = errw;
    process.exit = exit;
    console.log = log;
    console.error = cerr;
    if (env === undefined) delete process.env.TRIMNET_BACKEND;
    else process.env.TRIMNET_BACKEND = env;
  }
}

describe('fuzz: CLI argument handling', () => {
  it(`generated argv end in exit code 0 or 1 with one clear line (${RUNS} runs)`, { timeout: TIMEOUT * 2 }, async () => {
    await fc.assert(
      fc.asyncProperty(argv, async ([cmd, rest]) => {
        const args = [cmd, ...rest].filter((a, i) => i > 0 || a !== '').map((a) => a.replace(/@file(\d)/, (_, i: string) => files[Number(i)]!));
        const mapped = args.map((a) => (a === 'mini' ? tiny : a));
        args.splice(0, args.length, ...mapped);
        if (withData.has(cmd) && !args.includes('--')) args.push('--data', tiny);
        if (LONG.has(cmd) && !args.some((a) => a === '--help' || a === '-h')) args.push('--no-such-option-fuzz');
        const { code, err } = await runCli(args);
        codes.set(code, (codes.get(code) ?? 0) + 1);
        expect([0, 1]).toContain(code);
        expect(err).not.toMatch(/internal error/);
        expect(err).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack dump
      }),
      params,
    );
  });
});
