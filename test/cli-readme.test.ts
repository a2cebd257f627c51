// Issue 16 item 1: the README's command block runs as written, in order, on the bundled data
// (train → eval → stats → prune → sweep → l2 → embed → embed → align), and the defaults of
// embed and align fit together (labels beside the vectors, fit/eval halves, cca's k capped).
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../src/io/npy.js';
import { cliRunner, expectOneLineError } from './helpers/cli.js';

const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'trimnet-readme-'));
const trimnet = cliRunner(dir, { TRIMNET_FASHION_MNIST: '/nonexistent/fmnist' });

/** The `trimnet …` lines of the README's "Command line" sh block, comments stripped. */
function readmeCommands(): string[][] {
  const section = readme.slice(readme.indexOf('## Command line'));
  const block = /```sh\n([^]*?)```/.exec(section)![1]!;
  return block
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l.startsWith('trimnet '))
    .map((l) => l.split(/\s+/).slice(1));
}

describe('the README command block', () => {
  const cmds = readmeCommands();

  it('covers every step of the embed → embed → align sequence', () => {
    const names = cmds.map((c) => c[0]);
    for (const c of ['train', 'eval', 'stats', 'prune', 'sweep', 'l2', 'embed', 'align']) expect(names).toContain(c);
    expect(names.filter((n) => n === 'embed')).toHaveLength(2);
    expect(cmds.some((c) => c[0] === 'align' && c.includes('concat'))).toBe(true);
    expect(cmds.some((c) => c[0] === 'align' && c.includes('cca'))).toBe(true);
  });

  it('runs as written, in order, on mini', () => {
    const outputs: Record<string, string> = {};
    for (const args of cmds) {
      // `bench` measures speed for a while; its own test is `trimnet bench --size 64` below
      const run = args[0] === 'bench' ? [...args, '--size', '64'] : args;
      const r = trimnet(...run);
      expect(r.code, `trimnet ${args.join(' ')}\n${r.err}`).toBe(0);
      expect(r.err, `trimnet ${args.join(' ')}`).not.toMatch(/^trimnet: /m);
      outputs[args.join(' ')] = r.out;
    }
    for (const f of ['model.safetensors', 'stats.json', 'pruned.safetensors', 'small.safetensors', 'sweep.svg', 'l2.safetensors', 'a.npy', 'a.labels.npy', 'b.npy', 'b.labels.npy']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    // embed wrote the test split's labels beside the vectors, one per row
    const a = readNpy(join(dir, 'a.npy'));
    const la = readNpy(join(dir, 'a.labels.npy'));
    expect(la.shape).toEqual([a.shape[0]]);
    expect(la.data).toBeInstanceOf(Int32Array);
    // align's defaults: fit on the first half of the 2,000 test rows, evaluate on the rest
    const json = JSON.parse(outputs[Object.keys(outputs).find((k) => k.startsWith('align') && k.includes('--json'))!]!);
    expect(json.fit).toEqual([0, 1000]);
    expect(json.eval).toEqual([1000, 2000]);
    const cca = outputs[Object.keys(outputs).find((k) => k.startsWith('align') && k.includes('cca'))!]!;
    expect(cca).toMatch(/cca k=\d+/);
    const concat = outputs[Object.keys(outputs).find((k) => k.includes('concat'))!]!;
    expect(concat).toMatch(/\[A, B\]/);
  });
});

describe('align defaults and ranges', () => {
  it("caps cca's default k at the rank with a note, and takes a typed --k as asked", () => {
    // b.npy has 32 columns; some are dead ReLU units, so the rank is below 32
    const r = trimnet('align', 'a.npy', 'b.npy', '--method', 'cca', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.k).toBeLessThanOrEqual(32);
    if (j.k < 32) expect(j.notes.join(' ')).toMatch(/capped/);
    expectOneLineError(trimnet('align', 'a.npy', 'b.npy', '--method', 'cca', '--k', '40'), /k ≤ \d+/);
  });

  it('refuses a range beyond the rows instead of cutting it', () => {
    expectOneLineError(trimnet('align', 'a.npy', 'b.npy', '--fit', '0:20000'), /--fit 0:20000 reaches row 20000 but the embeddings have 2000 rows/);
    expectOneLineError(trimnet('align', 'a.npy', 'b.npy', '--fit', '0:1000', '--eval', '1000:3000'), /--eval 1000:3000 reaches row 3000/);
    expectOneLineError(trimnet('align', 'a.npy', 'b.npy', '--eval', '-3000:'), /--eval -3000: reaches row -3000/);
    expectOneLineError(trimnet('align', 'a.npy', 'b.npy', '--fit', '500:100'), /start ≤ end for --fit/);
    // --fit alone: eval defaults to the rows after it
    const r = trimnet('align', 'a.npy', 'b.npy', '--fit', '0:1500', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).eval).toEqual([1500, 2000]);
  });

  it('concat without labels says where they come from', () => {
    copyFileSync(join(dir, 'a.npy'), join(dir, 'c.npy'));
    expectOneLineError(trimnet('align', 'c.npy', 'b.npy', '--method', 'concat'), /needs class labels: give --labels labels\.npy, or embed with trimnet embed, which writes c\.labels\.npy beside c\.npy/);
  });
});
