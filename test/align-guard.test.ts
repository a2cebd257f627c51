// The space guard and bad input: clear typed errors, never a silent wrong answer.
import { describe, expect, it } from 'vitest';
import { cca } from '../src/align/cca.js';
import { concatEmbeddings, concatFit } from '../src/align/concat.js';
import { linearMap } from '../src/align/linear.js';
import { retrieval } from '../src/align/metrics.js';
import { procrustes } from '../src/align/procrustes.js';
import { trainProbe } from '../src/align/probe.js';
import { cosineSimilarity, sliceSpace, spaceOf, tagSpace } from '../src/align/space.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEmbeddings } from '../src/align/io.js';
import { writeNpy } from '../src/io/npy.js';
import { DataError, FormatError, ShapeError, SpaceError, ArgumentError, TrimnetError } from '../src/errors.js';
import { Tensor } from '../src/tensor.js';

const A = () => tagSpace(Tensor.randn([40, 6], 1), 'modelA');
const B = () => tagSpace(Tensor.randn([40, 6], 2), 'modelB');

describe('space guard', () => {
  it('refuses to compare two different, unaligned spaces, and says what to do', () => {
    const a = A();
    const b = B();
    expect(() => retrieval(a, b)).toThrow(SpaceError);
    expect(() => retrieval(a, b)).toThrow(/align them first.*or concatenate/);
    expect(() => cosineSimilarity(a, b)).toThrow(SpaceError);
    try {
      retrieval(a, b);
    } catch (e) {
      expect((e as TrimnetError).code).toBe('E_SPACE');
    }
  });

  it('allows plain tensors, the same space, and an explicit ignoreSpaces baseline', () => {
    const a = A();
    const b = B();
    const plain = Tensor.randn([40, 6], 3);
    expect(retrieval(a, plain).n).toBe(40);
    expect(retrieval(a, tagSpace(a.clone(), 'modelA')).p1).toBe(1);
    expect(retrieval(a, b, { ignoreSpaces: true }).n).toBe(40);
    expect(cosineSimilarity(a, plain).shape).toEqual([40, 40]);
  });

  it('procrustes / linear map output lives in the target space and compares with it', () => {
    const a = A();
    const b = B();
    const p = procrustes(a, b);
    expect(spaceOf(p.apply(a))).toBe('modelB');
    expect(retrieval(p.apply(a), b).n).toBe(40);
    const c = procrustes(a, b, { center: true });
    expect(() => retrieval(c.apply(a), b)).toThrow(SpaceError); // centred space ≠ raw B
    expect(retrieval(c.apply(a), c.target(b)).n).toBe(40);
    const l = linearMap(a, b, { ridge: 0.1 });
    expect(spaceOf(l.apply(a))).toBe('modelB');
  });

  it('a map refuses input from a space other than the one it was fit on', () => {
    const a = A();
    const b = B();
    const p = procrustes(a, b);
    expect(() => p.apply(b)).toThrow(SpaceError);
  });

  it('cca outputs share one space; concat makes a new one; slices keep their tag', () => {
    const a = A();
    const b = B();
    const m = cca(a, b, { k: 3 });
    const [x, y] = m.transform(a, b);
    expect(spaceOf(x)).toBe(spaceOf(y));
    expect(retrieval(x, y).n).toBe(40);
    expect(() => retrieval(x, a.sliceRows(0, 40).gatherCols([0, 1, 2]))).not.toThrow(); // untagged copy
    expect(() => retrieval(x, tagSpace(a.gatherCols([0, 1, 2]), 'modelA'))).toThrow(SpaceError);
    const cat = concatEmbeddings([a, b]);
    expect(spaceOf(cat)).toMatch(/^concat#/);
    expect(spaceOf(sliceSpace(a, 0, 10))).toBe('modelA');
  });
});

describe('bad input', () => {
  it('row counts that differ', () => {
    const a = Tensor.randn([40, 6], 1);
    const b = Tensor.randn([39, 6], 2);
    expect(() => procrustes(a, b)).toThrow(ShapeError);
    expect(() => cca(a, b, { k: 2 })).toThrow(/paired row by row/);
    expect(() => linearMap(a, b)).toThrow(ShapeError);
    expect(() => retrieval(a, b)).toThrow(ShapeError);
    expect(() => concatEmbeddings([a, b])).toThrow(ShapeError);
  });

  it('widths that differ in retrieval', () => {
    expect(() => retrieval(Tensor.randn([10, 4], 1), Tensor.randn([10, 5], 2))).toThrow(/map both into one space/);
  });

  it('NaN and Infinity', () => {
    const a = Tensor.randn([20, 4], 1);
    const b = Tensor.randn([20, 4], 2);
    const bad = a.clone();
    bad.data[13] = NaN;
    const inf = a.clone();
    inf.data[2] = Infinity;
    expect(() => procrustes(bad, b)).toThrow(DataError);
    expect(() => procrustes(bad, b)).toThrow(/NaN at row 3, column 1/);
    expect(() => cca(a, inf, { k: 2 })).toThrow(/Infinity/);
    expect(() => linearMap(bad, b)).toThrow(DataError);
    expect(() => retrieval(inf, b)).toThrow(DataError);
    expect(() => procrustes(a, b).apply(bad)).toThrow(DataError);
    // procrustes checks Aᵀ·B and only then scans: the side, the place, and for each option
    for (const opts of [{}, { center: true }, { normalize: true }]) {
      expect(() => procrustes(a, inf, opts)).toThrow(/procrustes B but received Infinity at row 0, column 2/);
      const zeroRow = a.clone();
      zeroRow.data.fill(0, 8, 12); // row 2 zero: Infinity times 0 is NaN, still caught
      const infZero = zeroRow.clone();
      infZero.data[9] = -Infinity;
      expect(() => procrustes(infZero, b, opts)).toThrow(/procrustes A but received -Infinity at row 2, column 1/);
    }
    const huge = a.clone().data.map((v) => v * 3e37);
    expect(() => procrustes(new Tensor(huge, [20, 4]), new Tensor(huge.slice(), [20, 4]))).toThrow(/overflows float32/);
  });

  it('k larger than the widths or the rank', () => {
    const a = Tensor.randn([50, 6], 1);
    const b = Tensor.randn([50, 4], 2);
    expect(() => cca(a, b, { k: 5 })).toThrow(/k ≤ 4/);
    expect(() => cca(a, b, { k: 0 })).toThrow(ArgumentError);
    // Y has rank 2 (two dead units): only two canonical directions exist.
    const y = new Tensor(new Float32Array(50 * 4), [50, 4]);
    for (let i = 0; i < 50; i++) {
      y.set(i, 0, a.get(i, 0));
      y.set(i, 1, a.get(i, 1));
    }
    expect(() => cca(a, y, { k: 3 })).toThrow(/rank/);
    expect(cca(a, y, { k: 2 }).correlations[0]).toBeCloseTo(1, 4);
    expect(() => retrieval(a, a.clone(), { metric: 'csls', k: 51 })).toThrow(/retrieval k/);
  });

  it('an empty fit set', () => {
    const e = new Tensor(new Float32Array(0), [0, 6]);
    expect(() => procrustes(e, e)).toThrow(/non-empty.*fit range/);
    expect(() => cca(e, e, { k: 1 })).toThrow(DataError);
    expect(() => linearMap(e, e)).toThrow(DataError);
    expect(() => concatFit([e], { normalize: 'zscore' })).toThrow(ArgumentError);
  });

  it('a singular least-squares problem asks for a ridge', () => {
    const a = Tensor.randn([30, 4], 1);
    const dead = a.gatherCols([0, 1, 2, 3]);
    for (let i = 0; i < 30; i++) dead.set(i, 3, 0); // a dead ReLU unit
    expect(() => linearMap(dead, Tensor.randn([30, 2], 2))).toThrow(/add a ridge/);
    expect(linearMap(dead, Tensor.randn([30, 2], 2), { ridge: 1e-3 }).W.shape).toEqual([4, 2]);
  });

  it('options of the wrong kind', () => {
    const a = Tensor.randn([20, 4], 1);
    expect(() => retrieval(a, a, { metric: 'dot' as 'cosine' })).toThrow(/'cosine' or 'csls'/);
    expect(() => concatEmbeddings([a, a], { normalize: 'max' as 'l2' })).toThrow(ArgumentError);
    expect(() => concatEmbeddings([a, a], { weights: [1] })).toThrow(/2 finite weights/);
    expect(() => linearMap(a, a, { ridge: -1 })).toThrow(/ridge/);
    expect(() => procrustes(a, [[1]] as unknown as Tensor)).toThrow(/2-D Tensor/);
    expect(() => trainProbe(a, [1, 2])).toThrow(ShapeError);
  });

  it('npy of the wrong dtype or rank is reported, not reinterpreted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trimnet-align-'));
    const ints = join(dir, 'labels.npy');
    writeFileSync(ints, writeNpy({ data: new Int32Array([1, 2, 3, 4]), shape: [2, 2] }));
    expect(() => readEmbeddings(ints)).toThrow(FormatError);
    expect(() => readEmbeddings(ints)).toThrow(/float32 or float64 embeddings in labels.npy but received dtype '<i4'/);
    const flat = join(dir, 'flat.npy');
    writeFileSync(flat, writeNpy(Tensor.randn([5], 1)));
    expect(() => readEmbeddings(flat)).toThrow(/2-D array/);
    const ok = join(dir, 'ok.npy');
    writeFileSync(ok, writeNpy(Tensor.randn([5, 3], 1)));
    expect(spaceOf(readEmbeddings(ok))).toBe('ok.npy');
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('concat and probe', () => {
  it('l2 makes every block unit length; zscore standardises and scales by 1/√d', () => {
    const a = Tensor.randn([30, 4], 1).scale(100);
    const b = Tensor.randn([30, 2], 2);
    const l2 = concatEmbeddings([a, b]);
    expect(l2.shape).toEqual([30, 6]);
    expect(Math.hypot(...l2.toArray()[0]!.slice(0, 4))).toBeCloseTo(1, 5);
    expect(Math.hypot(...l2.toArray()[0]!.slice(4))).toBeCloseTo(1, 5);
    const z = concatEmbeddings([a, b], { normalize: 'zscore', weights: [1, 2] });
    const colA = z.toArray().map((r) => r[0]!);
    const meanA = colA.reduce((s, v) => s + v, 0) / 30;
    const varA = colA.reduce((s, v) => s + (v - meanA) ** 2, 0) / 30;
    expect(meanA).toBeCloseTo(0, 5);
    expect(varA).toBeCloseTo(1 / 4, 4);
    const colB = z.toArray().map((r) => r[5]!);
    expect(colB.reduce((s, v) => s + v * v, 0) / 30).toBeCloseTo(4 / 2, 3);
  });

  it('the probe learns a separable problem', () => {
    const x = Tensor.randn([300, 5], 4);
    const labels = Array.from({ length: 300 }, (_, i) => (x.get(i, 0) + x.get(i, 2) > 0 ? 1 : 0));
    const p = trainProbe(x, labels, { epochs: 200, lr: 0.01 });
    expect(p.accuracy(x, labels)).toBeGreaterThan(0.95);
  });
});
