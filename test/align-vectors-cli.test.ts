// `trimnet align a.vec b.vec --dict … --eval …` (the vector-file mode) on the gensim fixtures:
// spawns the built CLI (npm run build:ts first).
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../src/io/safetensors.js';
import { readVectors } from '../src/io/vectors/index.js';
import { cliRunner, expectOneLineError } from './helpers/cli.js';

const fx = join(__dirname, 'fixtures', 'vectors');
const dir = mkdtempSync(join(tmpdir(), 'trimnet-align-vec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
for (const f of ['a.vec', 'b.vec', 'train.txt', 'test.txt', 'b.npy', 'b.keys.txt', 'nan.vec']) copyFileSync(join(fx, f), join(dir, f));
const trimnet = cliRunner(dir);

describe('trimnet align with vector files', () => {
  it('prints the direct baseline and each method by cosine and CSLS, writes aligned vectors and the map', () => {
    const r = trimnet('align', 'a.vec', 'b.vec', '--dict', 'train.txt', '--eval', 'test.txt', '--method', 'procrustes,cca', '--refine', '2', '--aligned', 'al.jsonl', '--out', 'map.safetensors');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/train: train.txt: 712 of 712 pairs found/);
    expect(r.out).toMatch(/direct \(unaligned, narrower side zero-padded\)/);
    expect(r.out).toMatch(/procrustes \+ refine 2 \(dictionaries \d+\/\d+\)/);
    expect(r.out).toMatch(/cca k=12/);
    // the last method (cca) maps both sides: A's side and B's side are written
    const al = readVectors(join(dir, 'al.jsonl'));
    expect(al.vectors.shape).toEqual([1000, 12]);
    expect(readVectors(join(dir, 'al.target.jsonl')).vectors.shape).toEqual([1000, 12]);
    const map = readSafetensors(join(dir, 'map.safetensors'));
    expect(map.metadata.method).toBe('cca k=12');
    expect(map.tensors.get('Wx')!.shape).toEqual([24, 12]);
  });

  it('--json: coverage, baseline near chance, Procrustes far above it; the refined map is written', () => {
    const r = trimnet('align', 'a.vec', 'b.vec', '--dict', 'train.txt', '--eval', 'test.txt', '--refine', '1', '--aligned', 'al.vec', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.train).toMatchObject({ pairs: 712, found: 712 });
    expect(j.eval).toMatchObject({ pairs: 238, found: 238 });
    expect(j.direct.csls.p1).toBeLessThan(0.03); // chance: 1/1000 per query
    expect(j.methods[0].method).toBe('procrustes');
    expect(j.methods[0].csls.p1).toBeGreaterThan(0.6);
    expect(j.methods[1].method).toMatch(/refine 1/);
    expect(readVectors(join(dir, 'al.vec')).vectors.shape).toEqual([1000, 12]);
  });

  it('without --dict fits on the shared keys minus the eval sources', () => {
    const r = trimnet('align', 'a.vec', 'b.vec', '--eval', 'test.txt', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).train.found).toBe(1000 - 238);
  });

  it('reads a keyed .npy beside a .vec, with --max-rows', () => {
    const r = trimnet('align', 'a.vec', 'b.npy', '--dict', 'train.txt', '--eval', 'test.txt', '--max-rows', '200', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.rows).toEqual([200, 200]);
    expect(j.train.found).toBeLessThan(200);
  });

  it('a malformed file is one line naming the line; --skip-bad counts it', () => {
    writeFileSync(join(dir, 'x.txt'), 'x x\nz z\n');
    expectOneLineError(trimnet('align', 'nan.vec', 'nan.vec', '--dict', 'x.txt'), /nan\.vec line 3: .*not a finite number/);
    const r = trimnet('align', 'nan.vec', 'nan.vec', '--dict', 'x.txt', '--eval', 'x.txt', '--skip-bad', '--norm', 'none');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/bad rows skipped: 1 in A, 1 in B/);
  });

  it('bad options and empty dictionaries are one-line errors', () => {
    expectOneLineError(trimnet('align', 'a.vec', 'b.vec', '--method', 'concat'), /--method/);
    writeFileSync(join(dir, 'none.txt'), 'qqq rrr\n');
    expectOneLineError(trimnet('align', 'a.vec', 'b.vec', '--dict', 'none.txt'), /Only 0 training pairs.*0 of 1 pairs found/);
    expectOneLineError(trimnet('align', 'a.vec', 'b.vec', '--norm', 'sphere'), /unit/);
    expectOneLineError(trimnet('align', 'a.vec', 'b.vec', '--aligned', 'a.vec'), /input/);
    expect(readFileSync(join(dir, 'a.vec')).equals(readFileSync(join(fx, 'a.vec')))).toBe(true);
  });
});
