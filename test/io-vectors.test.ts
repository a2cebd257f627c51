// Keyed vector files: every reader against what gensim / numpy wrote and read back
// (test/fixtures/make_vectors.py), writers round-trip (binary byte-exact with gensim), every
// malformed file gives its error and line. Values are float32 written as decimals that read back
// to the same float32, so comparisons are exact.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError } from '../src/errors.js';
import { readNpy } from '../src/io/npy.js';
import { formatFloat32, readVectors, writeVectors, type VectorFormat } from '../src/io/vectors/index.js';
import { Tensor } from '../src/tensor.js';

const fx = join(__dirname, 'fixtures', 'vectors');
const words = JSON.parse(readFileSync(join(fx, 'words.json'), 'utf8')) as string[];
const bAll = readNpy(join(fx, 'b_expected.npy')).data as Float32Array;
const aAll = readNpy(join(fx, 'a_expected.npy')).data as Float32Array;
const b200 = bAll.subarray(0, 200 * 12);
const tmp = mkdtempSync(join(tmpdir(), 'trimnet-vectors-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('vector readers against gensim and numpy', () => {
  it('reads word2vec text (.vec) as gensim load_word2vec_format does', () => {
    const a = readVectors(join(fx, 'a.vec'));
    expect(a.keys).toEqual(words);
    expect(a.vectors.shape).toEqual([1000, 24]);
    expect(Array.from(a.vectors.data)).toEqual(Array.from(aAll));
    const b = readVectors(join(fx, 'b.vec'));
    expect(Array.from(b.vectors.data)).toEqual(Array.from(bAll));
  });

  const cases: [string, Record<string, string>][] = [
    ['b.bin', {}],
    ['b.glove.txt', {}],
    ['b.npy', {}],
    ['b.jsonl', {}],
    ['b.meta.safetensors', {}],
  ];
  for (const [file, opts] of cases) {
    it(`reads ${file}`, () => {
      const r = readVectors(join(fx, file), opts);
      expect(r.keys).toEqual(words.slice(0, 200));
      expect(r.vectors.shape).toEqual([200, 12]);
      expect(Array.from(r.vectors.data)).toEqual(Array.from(b200));
      expect(r.skipped).toBe(0);
    });
  }

  it('reads item ids from an integer keys tensor in safetensors', () => {
    const r = readVectors(join(fx, 'b.ids.safetensors'));
    expect(r.keys.slice(0, 3)).toEqual(['100', '107', '114']);
    expect(Array.from(r.vectors.data)).toEqual(Array.from(b200));
  });

  it('maxRows reads the first N rows of every format', () => {
    for (const file of ['a.vec', 'b.bin', 'b.glove.txt', 'b.npy', 'b.jsonl', 'b.meta.safetensors']) {
      const r = readVectors(join(fx, file), { maxRows: 7 });
      expect(r.keys, file).toEqual(words.slice(0, 7));
      expect(r.vectors.rows).toBe(7);
    }
  });

  it('reports progress up to the whole file', () => {
    const seen: [number, number][] = [];
    readVectors(join(fx, 'a.vec'), { onProgress: (d, t) => seen.push([d, t]) });
    expect(seen.at(-1)![0]).toBe(seen.at(-1)![1]);
  });
});

describe('vector writers', () => {
  const b = readVectors(join(fx, 'b.bin'));
  it('writes the binary layout byte for byte as gensim does', () => {
    const out = join(tmp, 'b.bin');
    writeVectors(out, b);
    expect(Buffer.compare(readFileSync(out), readFileSync(join(fx, 'b.bin')))).toBe(0);
  });

  for (const [ext, format] of [['vec', 'word2vec'], ['txt', 'glove'], ['npy', 'npy'], ['jsonl', 'jsonl'], ['safetensors', 'safetensors'], ['bin', 'word2vec-bin']] as [string, VectorFormat][]) {
    it(`round-trips ${format}`, () => {
      const out = join(tmp, `rt.${ext}`);
      writeVectors(out, b);
      const r = readVectors(out);
      expect(r.keys).toEqual(b.keys);
      expect(Array.from(r.vectors.data)).toEqual(Array.from(b.vectors.data));
    });
  }

  it('writes text numbers as gensim does (the shortest decimal of the float32)', () => {
    const out = join(tmp, 'same.vec');
    writeVectors(out, b);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(fx, 'b.vec'), 'utf8').split('\n').slice(0, 201).join('\n').replace(/^1000 /, '200 ') + '\n');
  });

  it('streams files larger than the 1 MiB read chunk (lines and UTF-8 keys across chunk edges)', () => {
    const rows = 3000;
    const dim = 40;
    const data = new Float32Array(rows * dim);
    for (let i = 0; i < data.length; i++) data[i] = Math.fround(Math.sin(i) * 3.7);
    const keys = Array.from({ length: rows }, (_, i) => `wörd${i}·é`);
    const kv = { keys, vectors: new Tensor(data, [rows, dim]) };
    for (const ext of ['vec', 'bin']) {
      const out = join(tmp, `big.${ext}`);
      writeVectors(out, kv);
      const r = readVectors(out);
      expect(r.keys, ext).toEqual(keys);
      expect(r.vectors.data.every((v, i) => v === data[i]), ext).toBe(true);
    }
  });

  it('formatFloat32 round-trips awkward values', () => {
    for (const x of [0, -0.5, 1e-38, 3.4e38, 0.1, 1 / 3, 16777217, -2.5e-7, 1e-5, 2e16, 123456.7]) {
      const f = Math.fround(x);
      expect(Math.fround(Number(formatFloat32(f)))).toBe(f);
    }
    // numpy: repr(np.float32(x)) for these
    expect([4, 1e-5, 0.0001, 2.5e16, -0.5, 1 / 3].map((x) => formatFloat32(Math.fround(x)))).toEqual(['4.0', '1e-05', '1e-04', '2.5e+16', '-0.5', '0.33333334']);
  });

  it('refuses keys with whitespace in whitespace-separated formats', () => {
    const kv = { keys: ['new york'], vectors: new Tensor(new Float32Array([1, 2]), [1, 2]) };
    expect(() => writeVectors(join(tmp, 'ny.vec'), kv)).toThrow(/whitespace/);
    writeVectors(join(tmp, 'ny.jsonl'), kv);
    expect(readVectors(join(tmp, 'ny.jsonl')).keys).toEqual(['new york']);
  });

  it('never writes over an input', () => {
    expect(() => writeVectors(join(fx, 'b.bin'), b, { inputs: [join(fx, 'b.bin')] })).toThrow(/input/);
  });
});

describe('malformed vector files', () => {
  const cases = JSON.parse(readFileSync(join(fx, 'bad_cases.json'), 'utf8')) as { file: string; line: number; says: string }[];
  for (const c of cases) {
    it(`${c.file}: one error naming line ${c.line}`, () => {
      let err: unknown;
      try {
        readVectors(join(fx, c.file));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FormatError);
      const msg = (err as Error).message;
      expect(msg).toContain(`line ${c.line}`);
      expect(msg.toLowerCase()).toContain(c.says.toLowerCase());
    });
  }

  it('skipBad leaves bad rows out and counts them', () => {
    for (const file of ['short_row.vec', 'long_row.vec', 'not_number.vec', 'nan.vec', 'inf.vec']) {
      const r = readVectors(join(fx, file), { skipBad: true });
      expect(r.keys, file).toEqual(['x', 'z']);
      expect(r.skipped).toBe(1);
      expect(Array.from(r.vectors.data)).toEqual([1, 2, 3, 4]);
    }
    const d = readVectors(join(fx, 'duplicate.vec'), { skipBad: true });
    expect(d.keys).toEqual(['x', 'y']);
    expect(d.skipped).toBe(1);
    const j = readVectors(join(fx, 'string_in_vector.jsonl'), { skipBad: true });
    expect(j.keys).toEqual(['x']);
    expect(j.skipped).toBe(1);
  });

  it('binary: NaN, truncation and a short header are errors with the row', () => {
    const good = readFileSync(join(fx, 'b.bin'));
    const cut = join(tmp, 'cut.bin');
    writeFileSync(cut, good.subarray(0, good.length - 10));
    expect(() => readVectors(cut)).toThrow(/row 200 .*ends inside the vector/);
    const nan = Buffer.from(good);
    const at = nan.indexOf(' ', nan.indexOf('\n')) + 1; // the first vector
    nan.writeFloatLE(NaN, at + 4);
    const nanPath = join(tmp, 'nan.bin');
    writeFileSync(nanPath, nan);
    expect(() => readVectors(nanPath)).toThrow(/row 1 .*value 2 .*not a finite number/);
    expect(readVectors(nanPath, { skipBad: true }).skipped).toBe(1);
    const hdr = join(tmp, 'hdr.bin');
    writeFileSync(hdr, 'x y\n');
    expect(() => readVectors(hdr)).toThrow(/line 1: expected the binary word2vec header/);
  });

  it('npy: keys file of the wrong length, a wrong dtype and a missing keys file', () => {
    const npy = join(tmp, 'k.npy');
    writeFileSync(npy, readFileSync(join(fx, 'b.npy')));
    writeFileSync(join(tmp, 'k.keys.txt'), 'a\nb\n');
    expect(() => readVectors(npy)).toThrow(/has 2 keys but .* has 200 rows/);
    expect(() => readVectors(join(fx, '..', 'io', 'npy_le_i4.npy'), { keys: join(fx, 'b.keys.txt') })).toThrow(/float32 or float64/);
    expect(() => readVectors(join(tmp, 'none.npy'))).toThrow(/Cannot read/);
  });

  it('an unknown extension is an argument error', () => {
    expect(() => readVectors('x.csv')).toThrow(/vector file/);
  });
});
