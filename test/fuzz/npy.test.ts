// Fuzz: readNpy on malformed .npy files (mutations, random headers, nesting, huge shapes).
import fc from 'fast-check';
import { afterAll, describe, it, expect } from 'vitest';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { RUNS, TIMEOUT, Tally, dim, mustBeTypedOrConsistent, mutation, params, product } from './fuzz-util.js';

const tallies: Tally[] = [];
afterAll(() => {
  for (const t of tallies) console.log(`[fuzz] ${t}`);
});

function consistent(a: ReturnType<typeof readNpy>): void {
  expect(a.shape.every((d) => Number.isSafeInteger(d) && d >= 0)).toBe(true);
  expect(a.data.length).toBe(product(a.shape));
}

const validFile = fc
  .tuple(fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }), fc.constantFrom('f4', 'f8', 'i4', 'u1', 'i8'))
  .map(([shape, kind]) => {
    const n = product(shape);
    const data =
      kind === 'f4' ? Float32Array.from({ length: n }, (_, i) => i / 3)
      : kind === 'f8' ? Float64Array.from({ length: n }, (_, i) => i / 3)
      : kind === 'i4' ? Int32Array.from({ length: n }, (_, i) => i - 2)
      : kind === 'i8' ? BigInt64Array.from({ length: n }, (_, i) => BigInt(i))
      : Uint8Array.from({ length: n }, (_, i) => i);
    return writeNpy({ data, shape });
  });

function pyTuple(dims: number[]): string {
  return dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
}
const descr = fc.oneof(
  fc.constantFrom('<f4', '>f4', '<f8', '>f8', '<f2', '|u1', '|i1', '<i4', '>i8', '<u4', '|b1', '<c8', '|O', '<U3', 'f4', '=i2', '<f16', '<f3'),
  fc.string({ maxLength: 4 }),
);
const headerText = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({ d: descr, f: fc.constantFrom('False', 'True', '0', 'None', "'x'"), s: fc.array(dim(), { maxLength: 4 }), extra: fc.constantFrom('', " 'k': [1, 2.5, {'a': None}],", " 'k': ((((1,),),),),") })
      .map(({ d, f, s, extra }) => `{'descr': '${d}', 'fortran_order': ${f}, 'shape': ${pyTuple(s)},${extra} }`),
  },
  // deep nesting, unbalanced brackets and quotes, random text
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20000 }).map((n) => `{'descr': '<f4', 'fortran_order': False, 'shape': ${'('.repeat(n)}1${')'.repeat(n)}, }`) },
  { weight: 1, arbitrary: fc.constantFrom("{'descr': '<f4'", "{'descr: '<f4', }", '{', '', "{'shape': (1,2,}", "{'descr': '<f4', 'fortran_order': False, 'shape': (1e5,), }", '{1: 2}', '[1, 2]', "{'a': 'b' 'c'}") },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
);

function withHeader(text: string, major: number, dataLen: number, lie: number): Uint8Array {
  const h = new TextEncoder().encode(text);
  const lenSize = major === 1 ? 2 : 4;
  const b = new Uint8Array(8 + lenSize + h.length + dataLen);
  b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const dv = new DataView(b.buffer);
  const hl = Math.max(0, h.length + lie);
  if (major === 1) dv.setUint16(8, hl & 0xffff, true);
  else dv.setUint32(8, hl, true);
  b.set(h, 8 + lenSize);
  for (let i = 8 + lenSize + h.length; i < b.length; i++) b[i] = (i * 91) & 255;
  return b;
}

describe('fuzz: readNpy', () => {
  it(`mutated valid files (${RUNS} runs)`, { timeout: TIMEOUT }, () => {
    const t = new Tally('npy mutations');
    tallies.push(t);
    fc.assert(
      fc.property(validFile, mutation(), (file, mutate) => {
        const bad = mutate(file);
        mustBeTypedOrConsistent(t, () => readNpy(bad), consistent);
      }),
      params,
    );
  });

  it(`random headers, versions and lying lengths (${RUNS} runs)`, { timeout: TIMEOUT }, () => {
    const t = new Tally('npy headers');
    tallies.push(t);
    fc.assert(
      fc.property(headerText, fc.constantFrom(1, 2, 3, 0, 4), fc.nat({ max: 200 }), fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -8, max: 8 }) }), (text, major, dataLen, lie) => {
        const bytes = withHeader(text, major, dataLen, lie);
        mustBeTypedOrConsistent(t, () => readNpy(bytes), consistent);
      }),
      params,
    );
  });
});
