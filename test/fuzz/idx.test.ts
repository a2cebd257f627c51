// Fuzz: readIdx on malformed IDX files, plain and gzipped.
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, it, expect } from 'vitest';
import { readIdx, writeIdx } from '../../src/io/idx.js';
import { RUNS, TIMEOUT, Tally, mustBeTypedOrConsistent, mutation, params, product } from './fuzz-util.js';

const tallies: Tally[] = [];
afterAll(() => {
  for (const t of tallies) console.log(`[fuzz] ${t}`);
});

function consistent(a: ReturnType<typeof readIdx>): void {
  expect(a.shape.every((d) => Number.isSafeInteger(d) && d >= 0)).toBe(true);
  expect(a.data.length).toBe(product(a.shape));
}

const validFile = fc
  .tuple(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 3 }), fc.constantFrom('u8', 'i32', 'f32', 'f64'), fc.boolean())
  .map(([shape, kind, gzip]) => {
    const n = product(shape);
    const data =
      kind === 'u8' ? Uint8Array.from({ length: n }, (_, i) => i)
      : kind === 'i32' ? Int32Array.from({ length: n }, (_, i) => i - 3)
      : kind === 'f32' ? Float32Array.from({ length: n }, (_, i) => i / 7)
      : Float64Array.from({ length: n }, (_, i) => i / 7);
    return writeIdx({ shape, data }, { gzip });
  });

// A header with any type byte, any rank (0..255) and any 32-bit dims, then some data bytes.
const rawFile = fc
  .tuple(
    fc.oneof(fc.constantFrom(0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e), fc.integer({ min: 0, max: 255 })),
    fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
    fc.array(fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constantFrom(0xffffffff, 0x80000000, 65536, 1 << 24)), { maxLength: 255 }),
    fc.nat({ max: 300 }),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([type, rank, dims, dataLen, zero, gzip]) => {
    const b = new Uint8Array(4 + 4 * Math.min(rank, dims.length) + dataLen);
    b[0] = 0;
    b[1] = zero ? 0 : 1;
    b[2] = type;
    b[3] = rank;
    const dv = new DataView(b.buffer);
    for (let i = 0; i < Math.min(rank, dims.length); i++) dv.setUint32(4 + 4 * i, dims[i]!, false);
    for (let i = 4 + 4 * Math.min(rank, dims.length); i < b.length; i++) b[i] = i & 255;
    return gzip ? new Uint8Array(gzipSync(b)) : b;
  });

describe('fuzz: readIdx', () => {
  it(`mutated valid files, plain and gzipped (${RUNS} runs)`, { timeout: TIMEOUT }, () => {
    const t = new Tally('idx mutations');
    tallies.push(t);
    fc.assert(
      fc.property(validFile, mutation(), (file, mutate) => {
        const bad = mutate(file);
        mustBeTypedOrConsistent(t, () => readIdx(bad), consistent);
      }),
      params,
    );
  });

  it(`random headers: types, ranks, huge dims (${RUNS} runs)`, { timeout: TIMEOUT }, () => {
    const t = new Tally('idx headers');
    tallies.push(t);
    fc.assert(
      fc.property(rawFile, (bytes) => {
        mustBeTypedOrConsistent(t, () => readIdx(bytes), consistent);
      }),
      params,
    );
  });
});
