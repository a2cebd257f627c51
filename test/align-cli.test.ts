// CLI smoke tests for embed and align (spawn the built CLI: npm run build:ts first).
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpyTensor, writeNpy } from '../src/io/npy.js';
import { readSafetensors } from '../src/io/safetensors.js';
import { linearMap } from '../src/align/linear.js';
import { MLP } from '../src/nn/mlp.js';
import { Rng } from '../src/rng.js';
import { Tensor } from '../src/tensor.js';
import { cliRunner, expectOneLineError } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'trimnet-align-cli-'));

const trimnet = cliRunner(dir);


// Two "models": B is a noisy linear image of A in another width, so alignment is learnable.
const n = 600;
const A = Tensor.randn([n, 12], 1);
const M = Tensor.randn([12, 8], 2);
const rng = new Rng(3);
const Bdata = new Float32Array(n * 8);
for (let i = 0; i < n; i++) for (let j = 0; j < 8; j++) {
  let s = 0;
  for (let k = 0; k < 12; k++) s += A.get(i, k) * M.get(k, j);
  Bdata[i * 8 + j] = s + 0.05 * rng.normal();
}
const aFile = join(dir, 'a.npy');
const bFile = join(dir, 'b.npy');
const labelsFile = join(dir, 'labels.npy');
writeFileSync(aFile, writeNpy(A));
writeFileSync(bFile, writeNpy(new Tensor(Bdata, [n, 8])));
writeFileSync(labelsFile, writeNpy({ data: Int32Array.from({ length: n }, (_, i) => (A.get(i, 0) > 0 ? 1 : 0)), shape: [n] }));

describe('trimnet align', () => {
  it('linear map: --json with the direct baseline beside the aligned result, --out written atomically', () => {
    const out = join(dir, 'map.safetensors');
    const r = trimnet('align', aFile, bFile, '--method', 'linear', '--ridge', '0.01', '--fit', '0:400', '--eval', '400:', '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.eval).toEqual([400, 600]);
    expect(j.direct.p1).toBeLessThan(0.2);
    expect(j.aligned.p1).toBeGreaterThan(0.9);
    const st = readSafetensors(out);
    expect(st.tensors.get('W')!.shape).toEqual([12, 8]);
    expect(st.metadata.method).toBe('linear');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('--ridge is relative for the linear map too (as for cca and prune --reconstruct)', () => {
    const out = join(dir, 'map-relative.safetensors');
    const r = trimnet('align', aFile, bFile, '--method', 'linear', '--ridge', '0.5', '--fit', '0:400', '--eval', '400:', '--out', out);
    expect(r.code, r.err).toBe(0);
    const W = readSafetensors(out).tensors.get('W')!;
    const fit = A.sliceRows(0, 400);
    const Bt = new Tensor(Bdata, [n, 8]).sliceRows(0, 400);
    const rel = linearMap(fit, Bt, { ridge: 0.5, ridgeScale: 'relative' });
    const abs = linearMap(fit, Bt, { ridge: 0.5, ridgeScale: 'absolute' });
    const diff = (x: Float32Array, y: Float32Array) => Math.max(...x.map((v, i) => Math.abs(v - y[i]!)));
    expect(diff(W.data as Float32Array, rel.W.data)).toBeLessThan(1e-6);
    expect(diff(rel.W.data, abs.W.data)).toBeGreaterThan(1e-3); // a relative 0.5 is a strong ridge here; an absolute one is not
  });

  it('procrustes, cca and kernel print a table with the direct row', () => {
    for (const args of [['--method', 'procrustes', '--center'], ['--method', 'cca', '--k', '4', '--weighted'], ['--method', 'kernel', '--features', '200', '--metric', 'csls'], ['--method', 'kernel', '--exact']]) {
      const r = trimnet('align', aFile, bFile, ...args, '--fit', '0:400', '--eval', '400:');
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/direct \(unaligned, narrower side zero-padded\)/);
      expect(r.out).toMatch(/P@1/);
    }
  });

  it('concat reports the probe on A, B and [A, B]', () => {
    const r = trimnet('align', aFile, bFile, '--method', 'concat', '--labels', labelsFile, '--fit', '0:400', '--eval', '400:', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.probe.a).toBeGreaterThan(0.8);
    expect(typeof j.probe.concat).toBe('number');
  });

  it('bad input ends with one clear line', () => {
    writeFileSync(join(dir, 'short.npy'), writeNpy(Tensor.randn([10, 8], 1)));
    expectOneLineError(trimnet('align', aFile, join(dir, 'short.npy')), /600 rows but .* has 10/);
    expectOneLineError(trimnet('align', aFile, labelsFile), /float32 or float64 embeddings in labels.npy/);
    expectOneLineError(trimnet('align', aFile, bFile, '--fit', '700:'), /--fit 700: reaches row 700 but the embeddings have 600 rows/);
    expectOneLineError(trimnet('align', aFile, bFile, '--method', 'cca', '--k', '9', '--fit', '0:400', '--eval', '400:'), /k ≤ 8/);
    expectOneLineError(trimnet('align', aFile, bFile, '--method', 'nope'), /--method/);
    expectOneLineError(trimnet('align', aFile, bFile, '--fit', '0:400', '--eval', '400:', '--out', aFile), /input|over/i);
    const nan = A.clone();
    nan.data[5] = NaN;
    writeFileSync(join(dir, 'nan.npy'), writeNpy(nan));
    expectOneLineError(trimnet('align', join(dir, 'nan.npy'), bFile, '--fit', '0:400', '--eval', '400:'), /NaN at row 0, column 5/);
  });
});

describe('trimnet embed', () => {
  it('writes the last hidden layer for the mini test split (--json)', () => {
    const model = join(dir, 'm.safetensors');
    writeFileSync(model, MLP.create({ sizes: [784, 16, 8, 10], seed: 1 }).toSafetensors());
    const out = join(dir, 'e.npy');
    const r = trimnet('embed', model, '--layer', '-1', '--data', 'mini', '--split', 'test', '--limit', '50', '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ rows: 50, dims: 8, layer: 1 });
    const e = readNpyTensor(out);
    expect(e.shape).toEqual([50, 8]);
    expect(Math.min(...e.data)).toBeGreaterThanOrEqual(0); // after ReLU
    const r0 = trimnet('embed', model, '--layer', '0', '--limit', '5', '--out', join(dir, 'e0.npy'), '--json');
    expect(JSON.parse(r0.out).dims).toBe(16);
    expectOneLineError(trimnet('embed', model, '--layer', '2', '--out', join(dir, 'x.npy')), /hidden layer index in \[-2, 1\]/);
    expect(existsSync(join(dir, 'x.npy'))).toBe(false);
  });
});
