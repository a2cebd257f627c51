import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../src/errors.js';
import { MLP } from '../src/nn/mlp.js';
import { lnStructured, lnStructuredMask, pruneCount, pruneStructured, roundHalfEven } from '../src/prune/structured.js';
import { Tensor } from '../src/tensor.js';

interface Case {
  weight: string;
  offset: number;
  shape: [number, number];
  amount: number;
  isInt: boolean;
  n: number | 'inf';
  dim: 0 | 1;
  pruned: number[];
  norms: number[] | null;
  tie: boolean;
}

const dir = join(import.meta.dirname, 'fixtures', 'prune');
const fixture = JSON.parse(readFileSync(join(dir, 'ln_structured.json'), 'utf8')) as {
  cases: Case[];
  errors: { amount: number; isInt: boolean; error: string | null }[];
};
const blob = readFileSync(join(dir, 'ln_weights.bin'));
const all = new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));

function weightOf(c: Case): Tensor {
  const size = c.shape[0] * c.shape[1];
  return new Tensor(all.slice(c.offset, c.offset + size), c.shape);
}

function optsOf(c: Case) {
  const n = c.n === 'inf' ? Infinity : c.n;
  return c.isInt ? { count: c.amount, n, dim: c.dim } : { amount: c.amount, n, dim: c.dim };
}

/** The weight PyTorch's ln_structured + remove produces, from its pruned channel set. */
function expectedWeight(w: Tensor, c: Case): Tensor {
  const out = w.clone();
  const [m, n] = c.shape;
  for (const ch of c.pruned) {
    if (c.dim === 0) for (let j = 0; j < n; j++) out.data[ch * n + j]! *= 0;
    else for (let i = 0; i < m; i++) out.data[i * n + ch]! *= 0;
  }
  return out;
}

describe('roundHalfEven / pruneCount', () => {
  it('rounds like Python', () => {
    expect([0.5, 1.5, 2.5, -0.5, 2.4999, 3.4999999999999996, 0.05 * 10].map(roundHalfEven)).toEqual([0, 2, 2, 0, 2, 3, 0]);
    expect(pruneCount(10, { amount: 0.25 })).toBe(2);
    expect(pruneCount(10, { amount: 0.35 })).toBe(4); // 0.35·10 = 3.5 exactly -> even
    expect(pruneCount(45, { amount: 0.7 })).toBe(31); // 0.7·45 = 31.499999999999996 (Math.round: 32)
    expect(pruneCount(50, { amount: 0.07 })).toBe(4); // 3.5000000000000004
    expect(pruneCount(10, { amount: 0.05 })).toBe(0);
    expect(pruneCount(10, { amount: 1 })).toBe(10);
    expect(pruneCount(10, { count: 10 })).toBe(10);
  });
});

describe('lnStructured vs PyTorch 1.13 fixtures', () => {
  const exact = fixture.cases.filter((c) => !c.tie);
  const ties = fixture.cases.filter((c) => c.tie);

  it(`is bit-identical on the ${exact.length} cases without ties at the cut`, () => {
    expect(exact.length).toBeGreaterThan(900);
    for (const c of exact) {
      const w = weightOf(c);
      const mask = lnStructuredMask(w, optsOf(c));
      expect(mask.pruned, `${c.weight} amount=${c.amount}${c.isInt ? '(int)' : ''} n=${c.n} dim=${c.dim}`).toEqual(c.pruned);
      const got = lnStructured(w, optsOf(c));
      const want = expectedWeight(w, c);
      for (let i = 0; i < got.size; i++) {
        if (!Object.is(got.data[i], want.data[i])) throw new Error(`${c.weight} amount=${c.amount} n=${c.n} dim=${c.dim}: element ${i} differs`);
      }
    }
  });

  it(`matches the count and pruned norms on the ${ties.length} tie cases`, () => {
    expect(ties.length).toBeGreaterThan(50);
    for (const c of ties) {
      const w = weightOf(c);
      const mask = lnStructuredMask(w, optsOf(c));
      const label = `${c.weight} amount=${c.amount} n=${c.n} dim=${c.dim}`;
      expect(mask.pruned.length, label).toBe(c.pruned.length);
      const norms = c.norms!;
      const mine = mask.pruned.map((j) => Math.fround(norms[j]!)).sort((a, b) => a - b);
      const theirs = c.pruned.map((j) => Math.fround(norms[j]!)).sort((a, b) => a - b);
      expect(mine, label).toEqual(theirs);
      // Our float32 norms agree with PyTorch's on these small cases.
      for (let j = 0; j < norms.length; j++) expect(mask.norms[j], label).toBeCloseTo(norms[j]!, 5);
    }
  });

  it('rejects what PyTorch rejects, with a clear ArgumentError', () => {
    const w = Tensor.randn([10, 3], 1);
    for (const e of fixture.errors) {
      expect(e.error).not.toBeNull();
      const opts = e.isInt ? { count: e.amount, n: 2, dim: 0 } : { amount: e.amount, n: 2, dim: 0 };
      expect(() => lnStructured(w, opts)).toThrow(ArgumentError);
    }
    expect(() => lnStructured(w, { count: 1.5, n: 2, dim: 0 })).toThrow(/non-negative integer/);
    expect(() => lnStructured(w, { amount: 1.5, n: 2, dim: 0 })).toThrow(/Expected a fraction in the range \[0, 1\] for amount but received 1.5/);
    expect(() => lnStructured(w, { amount: NaN, n: 2, dim: 0 })).toThrow(/received NaN/);
    expect(() => lnStructured(w, { count: 11, n: 2, dim: 0 })).toThrow(/at most the 10 channels/);
    expect(() => lnStructured(w, { n: 2, dim: 0 })).toThrow(/exactly one of amount/);
    expect(() => lnStructured(w, { amount: 0.5, count: 1, n: 2, dim: 0 })).toThrow(/exactly one of amount/);
    expect(() => lnStructured(w, { amount: 0.5, n: 3, dim: 0 })).toThrow(/1, 2 or Infinity/);
    expect(() => lnStructured(w, { amount: 0.5, n: 2, dim: 2 })).toThrow(/dimension/);
    const bad = w.clone();
    bad.data[4] = NaN;
    expect(() => lnStructured(bad, { amount: 0.5, n: 2, dim: 0 })).toThrow(/NaN/);
  });

  it('amount 0 keeps everything and 1.0 zeroes everything', () => {
    const w = Tensor.randn([6, 4], 2);
    expect(lnStructured(w, { amount: 0, n: 2, dim: 0 }).data).toEqual(w.data);
    expect(lnStructured(w, { amount: 1, n: 1, dim: 1 }).data.every((v) => v === 0)).toBe(true);
  });
});

describe('pruneStructured', () => {
  const mlp = MLP.create({ sizes: [12, 16, 9, 4], seed: 3 });
  // Positive biases so zeroed neurons keep emitting act(b_j) (the case folding must handle).
  mlp.layers.forEach((l) => l.bias.forEach((_, j) => (l.bias[j] = 0.1 + 0.05 * (j % 3))));
  const x = Tensor.randn([20, 12], 4);

  it('shrink: false is the PyTorch loop over hidden layers: rows zeroed, sizes and biases unchanged', () => {
    const { model, report } = pruneStructured(mlp, { amount: 0.25, shrink: false });
    expect(model.layerSizes()).toEqual([12, 16, 9, 4]);
    expect(report.removed.map((r) => r.length)).toEqual([4, 2]);
    for (let i = 0; i < 2; i++) {
      const want = lnStructured(mlp.layers[i]!.weight, { amount: 0.25, n: 2, dim: 0 });
      expect(model.layers[i]!.weight.data).toEqual(want.data);
      expect(model.layers[i]!.bias).toEqual(mlp.layers[i]!.bias);
    }
    expect(model.layers[2]!.weight.data).toEqual(mlp.layers[2]!.weight.data);
    const all = pruneStructured(mlp, { amount: 0.25, shrink: false, includeOutput: true });
    expect(all.model.layers[2]!.weight.data).toEqual(lnStructured(mlp.layers[2]!.weight, { amount: 0.25, n: 2, dim: 0 }).data);
  });

  it('shrink: true removes the neurons and its outputs equal the masked model', () => {
    for (const n of [1, 2, Infinity]) {
      const masked = pruneStructured(mlp, { amount: 0.4, n, shrink: false }).model;
      const { model, report } = pruneStructured(mlp, { amount: 0.4, n });
      expect(model.layerSizes()).toEqual([12, 10, 5, 4]); // round(6.4) = 6, round(3.6) = 4
      expect(report.kept).toEqual([10, 5]);
      expect(report.paramsAfter).toBe(model.paramCount());
      expect(report.paramsRemovedPct).toBeCloseTo((100 * (mlp.paramCount() - model.paramCount())) / mlp.paramCount(), 10);
      const a = masked.forward(x).data;
      const b = model.forward(x).data;
      for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 5);
    }
  });

  it('refuses to shrink the output layer or to empty a layer', () => {
    expect(() => pruneStructured(mlp, { amount: 0.5, includeOutput: true })).toThrow(/shrink: false/);
    expect(() => pruneStructured(mlp, { amount: 1 })).toThrow(/every neuron/);
    expect(pruneStructured(mlp, { amount: 1, shrink: false }).model.layerSizes()).toEqual([12, 16, 9, 4]);
  });
});
