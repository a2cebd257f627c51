import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ArgumentError, DataError, FormatError } from '../src/errors.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { loadDataset, miniDatasetDir } from '../src/io/datasets.js';
import { readIdx, writeIdx } from '../src/io/idx.js';

describe('idx', () => {
  it('round-trips every IDX type, plain and gzipped', () => {
    const cases = [
      new Uint8Array([0, 1, 255, 7, 8, 9]),
      new Int8Array([-128, 1, 127, 0, 3, 4]),
      new Int16Array([-300, 1, 2, 3, 4, 30000]),
      new Int32Array([-(2 ** 31), 1, 2, 3, 4, 5]),
      new Float32Array([1.5, -2, 0, 3, 4, 5]),
      new Float64Array([1e-300, 2, 3, 4, 5, 6]),
    ];
    for (const data of cases) {
      for (const gzip of [false, true]) {
        const bytes = writeIdx({ data, shape: [3, 2] }, { gzip });
        expect(bytes[0] === 0x1f).toBe(gzip);
        const a = readIdx(bytes);
        expect(a.shape).toEqual([3, 2]);
        expect(a.data).toEqual(data);
      }
    }
  });

  it('reads the bundled files', () => {
    const img = readIdx(join(miniDatasetDir(), 't10k-images-idx3-ubyte.gz'));
    expect(img.shape).toEqual([2000, 28, 28]);
  });

  it('rejects truncated, damaged and foreign files', () => {
    const good = writeIdx({ data: new Uint8Array(12), shape: [3, 4] });
    expect(() => readIdx(good.subarray(0, good.length - 1))).toThrow(/truncated/);
    expect(() => readIdx(gzipSync(good).subarray(0, 15))).toThrow(FormatError);
    expect(() => readIdx(gzipSync(good).subarray(0, 15))).toThrow(/damaged gzip/);
    expect(() => readIdx(new Uint8Array([1, 2, 3, 4]))).toThrow(/not an IDX file/);
    expect(() => readIdx(new Uint8Array([0, 0, 0x42, 1, 0, 0, 0, 0]))).toThrow(/data type 0x42/);
  });
});

describe('datasets', () => {
  it("loads 'mini': 10,000 + 2,000 images in [0, 1], labels 0-9", () => {
    const ds = loadDataset('mini');
    expect(ds.train.x.shape).toEqual([10000, 784]);
    expect(ds.test.x.shape).toEqual([2000, 784]);
    expect(ds.train.labels.length).toBe(10000);
    expect(ds.classes).toHaveLength(10);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of ds.test.x.data) ((lo = Math.min(lo, v)), (hi = Math.max(hi, v)));
    expect(lo).toBe(0);
    expect(hi).toBe(1);
    const counts = new Array(10).fill(0);
    for (const l of ds.train.labels) counts[l]++;
    expect(Math.min(...counts)).toBeGreaterThan(800);
  });

  it('honours split and limit', () => {
    const ds = loadDataset('mini', { split: 'test', limit: 50 });
    expect(ds.test.x.shape).toEqual([50, 784]);
    expect(ds.train.x.shape).toEqual([0, 784]);
  });

  it('says how to install the full set when it is missing', () => {
    const old = process.env.TRIMNET_FASHION_MNIST;
    process.env.TRIMNET_FASHION_MNIST = '/nonexistent/fmnist';
    try {
      expect(() => loadDataset('fashion-mnist')).toThrow(DataError);
      expect(() => loadDataset('fashion-mnist')).toThrow(/apt-get install dataset-fashion-mnist/);
    } finally {
      if (old === undefined) delete process.env.TRIMNET_FASHION_MNIST;
      else process.env.TRIMNET_FASHION_MNIST = old;
    }
    expect(() => loadDataset('/nonexistent/dir')).toThrow(DataError);
    expect(() => loadDataset(tmpdir() + '/')).toThrow(/does not hold an IDX dataset|not 'mini'/);
  });

  it('reads a directory of plain (not gzipped) IDX files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trimnet-idx-'));
    const imgs = new Uint8Array(3 * 4).map((_, i) => i * 20);
    for (const s of ['train', 't10k']) {
      writeFileSync(join(dir, `${s}-images-idx3-ubyte`), writeIdx({ data: imgs, shape: [3, 2, 2] }));
      writeFileSync(join(dir, `${s}-labels-idx1-ubyte`), writeIdx({ data: new Uint8Array([0, 1, 2]), shape: [3] }));
    }
    const ds = loadDataset(dir);
    expect(ds.train.x.shape).toEqual([3, 4]);
    expect(ds.train.x.data[1]).toBeCloseTo(20 / 255, 6);
    expect(ds.classes).toEqual(['0', '1', '2']);
  });
});

describe('atomic writes', () => {
  it('writes through a temp file and leaves nothing else behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trimnet-atomic-'));
    writeFileAtomic(join(dir, 'out.bin'), new Uint8Array([1, 2, 3]));
    writeFileAtomic(join(dir, 'out.bin'), 'hello');
    expect(readFileSync(join(dir, 'out.bin'), 'utf8')).toBe('hello');
    expect(readdirSync(dir)).toEqual(['out.bin']);
  });

  it('refuses to overwrite an input file and fails cleanly on a missing directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trimnet-atomic-'));
    const inp = join(dir, 'in.bin');
    writeFileSync(inp, 'keep');
    expect(() => writeFileAtomic(join(dir, '.', 'in.bin'), 'x', { inputs: [inp] })).toThrow(ArgumentError);
    expect(readFileSync(inp, 'utf8')).toBe('keep');
    expect(() => writeFileAtomic(join(dir, 'no', 'such', 'x.bin'), 'x')).toThrow(/directory does not exist/);
    expect(existsSync(join(dir, 'no'))).toBe(false);
  });
});
