import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError, TrimnetError } from '../src/errors.js';
import { readSafetensors, writeSafetensors } from '../src/io/safetensors.js';
import { Tensor } from '../src/tensor.js';

const fx = join(__dirname, 'fixtures', 'io');

function withHeader(header: unknown, data: Uint8Array, lenOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lenOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('reads every dtype PyTorch wrote (F32, F16, BF16, F64, I32, I64, U8) and the metadata', () => {
    const f = readSafetensors(join(fx, 'dtypes.safetensors'));
    const want = JSON.parse(readFileSync(join(fx, 'dtypes_expected.json'), 'utf8')) as Record<string, { shape: number[]; values: number[] }>;
    expect(f.metadata).toEqual({ format: 'pt', note: 'trimnet io fixture' });
    for (const [name, w] of Object.entries(want)) {
      const t = f.tensors.get(name)!;
      expect(t.shape, name).toEqual(w.shape);
      w.values.forEach((v, i) => expect(t.data[i], `${name}[${i}]`).toBe(Math.fround(v)));
    }
    expect(f.dtypes.get('bf16')).toBe('BF16');
    expect(Array.from(f.ints.get('i64') as BigInt64Array)).toEqual([-(2n ** 40n), 3n, 2n ** 40n]);
    expect(Array.from(f.ints.get('i32')!).map(Number)).toEqual(want.i32!.values);
  });

  it('round-trips in F32 exactly and in F16/BF16/F64 as rounding predicts', () => {
    const a = Tensor.randn([7, 5], 3);
    const b = Tensor.from([1, -2, 65504, 1e-8, 0.1], [5]);
    for (const dtype of ['F32', 'F64', 'F16', 'BF16'] as const) {
      const bytes = writeSafetensors({ a, 'layer.b': b }, { dtype, metadata: { k: 'v' } });
      const len = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect(len % 8).toBe(0);
      const f = readSafetensors(bytes);
      expect([...f.tensors.keys()]).toEqual(['a', 'layer.b']);
      expect(f.metadata).toEqual({ k: 'v' });
      expect(f.tensors.get('a')!.shape).toEqual([7, 5]);
      const tol = dtype === 'F16' ? 1e-3 : dtype === 'BF16' ? 8e-3 : 0;
      const got = f.tensors.get('a')!.data;
      a.data.forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(v))));
    }
    const h = readSafetensors(writeSafetensors({ b }, { dtype: 'F16' })).tensors.get('b')!;
    expect(Array.from(h.data.subarray(0, 3))).toEqual([1, -2, 65504]);
  });

  it('keeps scalars and empty tensors', () => {
    const f = readSafetensors(writeSafetensors({ s: new Tensor(new Float32Array([4]), []), e: Tensor.zeros([0, 3]) }));
    expect(f.tensors.get('s')!.shape).toEqual([]);
    expect(f.tensors.get('s')!.data[0]).toBe(4);
    expect(f.tensors.get('e')!.shape).toEqual([0, 3]);
  });

  const good = () => writeSafetensors({ w: Tensor.randn([4, 3], 1), b: Tensor.randn([4], 2) });
  const bad: [string, () => Uint8Array, RegExp][] = [
    ['too short', () => new Uint8Array(5), /too short/],
    ['truncated file', () => good().subarray(0, good().length - 4), /truncated|not described|needs/],
    ['truncated header', () => good().subarray(0, 20), /truncated/],
    ['header length 2^60', () => withHeader({}, new Uint8Array(0), 2n ** 60n), /header length is 1152921504606846976 bytes/],
    ['header not JSON', () => withHeader({}, new Uint8Array(0)).fill(0x41, 8), /not UTF-8 JSON/],
    ['offsets overrun', () => withHeader({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } }, new Uint8Array(8)), /needs bytes \[0, 16\) but the data is only 8/],
    ['size disagrees with shape', () => withHeader({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /needs 12 bytes/],
    [
      'overlap',
      () => withHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)),
      /overlaps/,
    ],
    ['hole', () => withHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), /unused/],
    ['unread dtype', () => withHeader({ a: { dtype: 'F8_E4M3', shape: [4], data_offsets: [0, 4] } }, new Uint8Array(4)), /dtype F8_E4M3, which trimnet does not read/],
    ['unknown dtype', () => withHeader({ a: { dtype: 'Q4', shape: [4], data_offsets: [0, 4] } }, new Uint8Array(4)), /does not know/],
    ['bad shape', () => withHeader({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /invalid shape/],
    ['bad metadata', () => withHeader({ __metadata__: { a: 1 } }, new Uint8Array(0)), /must be a string/],
  ];
  for (const [what, make, msg] of bad) {
    it(`rejects a malformed file: ${what}`, () => {
      let err: unknown;
      try {
        readSafetensors(make());
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FormatError);
      expect((err as FormatError).code).toBe('E_FORMAT');
      expect((err as Error).message).toMatch(msg);
    });
  }

  it('a missing file is one E_IO error', () => {
    expect(() => readSafetensors('/nonexistent/model.safetensors')).toThrow(TrimnetError);
    expect(() => readSafetensors('/nonexistent/model.safetensors')).toThrow(/Cannot read safetensors file .*no such file/);
  });
});
