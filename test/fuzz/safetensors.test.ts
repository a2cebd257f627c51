// Fuzz: readSafetensors (and MLP.fromSafetensors on top of it) on malformed files.
import fc from 'fast-check';
import { afterAll, describe, it, expect } from 'vitest';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { MLP } from '../../src/nn/mlp.js';
import { Tensor } from '../../src/tensor.js';
import { RUNS, TIMEOUT, Tally, dim, mustBeTypedOrConsistent, mutation, params, product } from './fuzz-util.js';

const tallies: Tally[] = [];
afterAll(() => {
  for (const t of tallies) console.log(`[fuzz] ${t}`);
});

function consistent(f: ReturnType<typeof readSafetensors>, fileLength: number): void {
  let bytes = 0;
  for (const [name, t] of f.tensors) {
    expect(t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)).toBe(true);
    expect(t.data.length).toBe(product(t.shape));
    const ints = f.ints.get(name);
    if (ints) expect(ints.length).toBe(t.data.length);
    const dt = f.dtypes.get(name)!;
    bytes += t.data.length * { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 }[dt];
  }
  expect(bytes).toBeLessThanOrEqual(fileLength);
}

const smallTensor = fc
  .tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 5 }))
  .map(([r, a, b]) => {
    const shape = [a, b].slice(0, r === 0 ? 0 : r === 1 ? 1 : 2);
    const n = product(shape);
    return new Tensor(Float32Array.from({ length: n }, (_, i) => i * 0.5 - 1), shape);
  });
const validFile = fc
  .tuple(fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), smallTensor, { minKeys: 1, maxKeys: 3 }), fc.constantFrom('F32', 'F16', 'BF16', 'F64'))
  .map(([d, dtype]) => writeSafetensors(d, { dtype: dtype as 'F32', metadata: { format: 'pt' } }));

function withHeader(header: unknown, dataLen: number, lie = 0): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const b = new Uint8Array(8 + json.length + dataLen);
  new DataView(b.buffer).setBigUint64(0, BigInt(Math.max(0, json.length + lie)), true);
  b.set(json, 8);
  for (let i = 8 + json.length; i < b.length; i++) b[i] = (i * 37) & 255;
  return b;
}

const dtype = fc.oneof(fc.constantFrom('F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL', 'F8_E4M3', 'U64', 'C64', ''), fc.string({ maxLength: 5 }));
const entry = fc.record(
  {
    dtype: fc.oneof({ weight: 5, arbitrary: dtype }, { weight: 1, arbitrary: fc.anything() }),
    shape: fc.oneof({ weight: 5, arbitrary: fc.array(dim(), { maxLength: 4 }) }, { weight: 1, arbitrary: fc.anything() }),
    data_offsets: fc.oneof({ weight: 5, arbitrary: fc.tuple(dim(), dim()) }, { weight: 1, arbitrary: fc.anything() }),
  },
  { requiredKeys: [] },
);
const header = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), entry, { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.record({ __metadata__: fc.anything() }) },
  { weight: 1, arbitrary: fc.jsonValue() },
  { weight: 1, arbitrary: fc.string() },
);

describe('fuzz: readSafetensors', () => {
  it(`mutated valid files (${RUNS} runs)`, { timeout: TIMEOUT }, () => {
    const t = new Tally('safetensors mutations');
    tallies.push(t);
    fc.assert(
      fc.property(validFile, mutation(), (file, mutate) => {
        const bad = mutate(file);
        mustBeTypedOrConsistent(t, () => readSafetensors(bad), (f) => consistent(f, bad.length));
      }),
      params,
    );
  });

  it(`random JSON headers with lying lengths and offsets (${RUNS} runs)`, { timeout: TIMEOUT }, () => {
    const t = new Tally('safetensors headers');
    tallies.push(t);
    fc.assert(
      fc.property(header, fc.nat({ max: 256 }), fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -16, max: 16 }) }), (h, dataLen, lie) => {
        const bytes = withHeader(h, dataLen, lie);
        mustBeTypedOrConsistent(t, () => readSafetensors(bytes), (f) => consistent(f, bytes.length));
      }),
      params,
    );
  });

  it(`MLP.fromSafetensors on mutated models (${RUNS} runs)`, { timeout: TIMEOUT }, () => {
    const t = new Tally('MLP.fromSafetensors mutations');
    tallies.push(t);
    const model = MLP.create({ sizes: [6, 5, 3], activation: 'relu', seed: 1 }).toSafetensors();
    fc.assert(
      fc.property(mutation(), (mutate) => {
        const bad = mutate(model);
        mustBeTypedOrConsistent(
          t,
          () => MLP.fromSafetensors(bad),
          (m) => {
            const sizes = m.layerSizes();
            m.layers.forEach((l, i) => {
              expect(l.weight.shape).toEqual([sizes[i + 1], sizes[i]]);
              expect(l.weight.data.length).toBe(sizes[i]! * sizes[i + 1]!);
              if (l.bias) expect(l.bias.length).toBe(sizes[i + 1]);
            });
          },
        );
      }),
      params,
    );
  });
});
