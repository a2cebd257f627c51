import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../src/errors.js';
import { readNpy, readNpyTensor, writeNpy } from '../src/io/npy.js';
import { Tensor } from '../src/tensor.js';

const fx = join(__dirname, 'fixtures', 'io');
const want = JSON.parse(readFileSync(join(fx, 'npy_expected.json'), 'utf8')) as Record<string, { shape: number[]; values: number[] }>;

describe('npy', () => {
  for (const name of ['npy_le_f4', 'npy_le_f8', 'npy_le_i4', 'npy_le_i8', 'npy_na_u1', 'npy_be_f4', 'npy_fortran']) {
    it(`reads numpy's ${name}`, () => {
      const a = readNpy(join(fx, `${name}.npy`));
      expect(a.shape).toEqual(want[name]!.shape);
      expect(Array.from(a.data as ArrayLike<number | bigint>, Number)).toEqual(want[name]!.values.map((v) => (a.dtype.endsWith('f4') ? Math.fround(v) : v)));
    });
  }

  it('reads format versions 1, 2 and 3', () => {
    for (const v of [1, 2, 3]) {
      const t = readNpyTensor(join(fx, `npy_v${v}.npy`));
      expect(t.shape).toEqual(want.npy_v!.shape);
      expect(Array.from(t.data)).toEqual(want.npy_v!.values.map(Math.fround));
    }
  });

  it('round-trips every dtype it writes', () => {
    const cases = [
      new Float32Array([1.5, -2, 3.25, 4, 5, 6]),
      new Float64Array([1e-300, 2, 3, 4, 5, 6]),
      new Int32Array([-1, 2, -3, 4, 5, 2 ** 31 - 1]),
      new BigInt64Array([-(2n ** 62n), 2n, 3n, 4n, 5n, 6n]),
      new Uint8Array([0, 1, 2, 253, 254, 255]),
    ];
    for (const data of cases) {
      const bytes = writeNpy({ data, shape: [2, 3] });
      expect(bytes.length % 64).toBe(data.byteLength % 64);
      const a = readNpy(bytes);
      expect(a.shape).toEqual([2, 3]);
      expect(a.data.constructor).toBe(data.constructor);
      expect(Array.from(a.data as ArrayLike<number | bigint>)).toEqual(Array.from(data as ArrayLike<number | bigint>));
    }
    const t = Tensor.randn([3, 1, 2], 4);
    expect(readNpyTensor(writeNpy(t))).toEqual(t);
    expect(readNpy(writeNpy({ data: new Float32Array([7]), shape: [1] })).shape).toEqual([1]);
  });

  const good = writeNpy(Tensor.randn([4, 4], 1));
  const bad: [string, Uint8Array, RegExp][] = [
    ['no magic', new Uint8Array(32), /not a .npy file/],
    ['truncated data', good.subarray(0, good.length - 3), /truncated/],
    ['extra data', new Uint8Array([...good, 1, 2, 3, 4]), /not described/],
    ['unsupported dtype', Uint8Array.from(Buffer.from(Buffer.from(good).toString('latin1').replace("'<f4'", "'<c8'"), 'latin1')), /dtype '<c8' is not supported/],
    ['garbage header', Uint8Array.from(Buffer.from(Buffer.from(good).toString('latin1').replace("'descr'", "'descr' ="), 'latin1')), /cannot parse/],
    ['version 9', Uint8Array.from([...good.subarray(0, 6), 9, 0, ...good.subarray(8)]), /version 9/],
  ];
  for (const [what, bytes, msg] of bad) {
    it(`rejects ${what} with a FormatError`, () => {
      expect(() => readNpy(bytes)).toThrow(FormatError);
      expect(() => readNpy(bytes)).toThrow(msg);
    });
  }
});
