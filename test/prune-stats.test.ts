import { afterAll, describe, expect, it } from 'vitest';
import { availableBackends, setBackend } from '../src/backend/registry.js';
import { DataError, FormatError, ShapeError } from '../src/errors.js';
import { MLP } from '../src/nn/mlp.js';
import { linear } from '../src/ops.js';
import { activationStats, mergeLayerStats, statsFromJson, statsToJson } from '../src/prune/stats.js';
import { Tensor } from '../src/tensor.js';

const original = availableBackends().find((b) => b.available)!.name;
afterAll(() => setBackend(original));

/** Hidden activations the plain way: one linear() per layer. */
function hiddenActs(mlp: MLP, x: Tensor): Tensor[] {
  const out: Tensor[] = [];
  let h = x;
  for (let i = 0; i + 1 < mlp.layers.length; i++) {
    h = linear(h, mlp.layers[i]!.weight, mlp.layers[i]!.bias, mlp.activation, undefined, mlp.leakySlope);
    out.push(h);
  }
  return out;
}

const backends = availableBackends()
  .filter((b) => b.available && (b.name === 'js' || b.name === 'cpu'))
  .map((b) => b.name);

describe.each(backends)('activationStats on %s', (name) => {
  it('matches per-neuron mean, mean |a|, APoZ, max of a plain forward', () => {
    setBackend(name);
    for (const activation of ['relu', 'tanh', 'leaky_relu'] as const) {
      const mlp = MLP.create({ sizes: [20, 17, 9, 5], activation, seed: 7 });
      const x = Tensor.randn([203, 20], 8);
      for (const batchSize of [1, 64, 1024]) {
        const stats = activationStats(mlp, x, { batchSize });
        const acts = hiddenActs(mlp, x);
        expect(stats.map((s) => s.size)).toEqual([17, 9]);
        stats.forEach((s, li) => {
          const a = acts[li]!;
          expect(s.count).toBe(203);
          for (let j = 0; j < s.size; j++) {
            let sum = 0;
            let sumAbs = 0;
            let zeros = 0;
            let max = -Infinity;
            for (let r = 0; r < a.rows; r++) {
              const v = a.get(r, j);
              sum += v;
              sumAbs += Math.abs(v);
              if (v === 0) zeros++;
              max = Math.max(max, v);
            }
            expect(s.mean[j]).toBeCloseTo(sum / 203, 5);
            expect(s.meanAbs[j]).toBeCloseTo(sumAbs / 203, 5);
            expect(s.apoz[j]).toBeCloseTo(zeros / 203, 6);
            expect(s.max[j]).toBeCloseTo(max, 5);
          }
        });
      }
    }
  });
});

describe('LayerStats merge and JSON', () => {
  const mlp = MLP.create({ sizes: [10, 12, 6, 3], seed: 1 });
  const x = Tensor.randn([100, 10], 2);

  it('statistics of two chunks merge into those of the whole', () => {
    const whole = activationStats(mlp, x);
    const merged = mergeLayerStats(activationStats(mlp, x.sliceRows(0, 37)), activationStats(mlp, x.sliceRows(37)));
    merged.forEach((m, i) => {
      const w = whole[i]!;
      expect(m.count).toBe(100);
      for (let j = 0; j < m.size; j++) {
        expect(m.mean[j]).toBeCloseTo(w.mean[j]!, 6);
        expect(m.meanAbs[j]).toBeCloseTo(w.meanAbs[j]!, 6);
        expect(m.apoz[j]).toBe(w.apoz[j]);
        expect(m.max[j]).toBe(w.max[j]);
      }
    });
    const other = activationStats(MLP.create({ sizes: [10, 11, 6, 3] }), x);
    expect(() => mergeLayerStats(whole, other)).toThrow(ShapeError);
    expect(() => mergeLayerStats(whole, whole.slice(1))).toThrow(/2 and 1 hidden layers/);
  });

  it('round-trips through JSON exactly', () => {
    const stats = activationStats(mlp, x);
    const json = JSON.stringify(statsToJson(stats, mlp));
    const back = statsFromJson(json);
    expect(back).toHaveLength(2);
    back.forEach((b, i) => {
      expect(b.sum).toEqual(stats[i]!.sum);
      expect(b.mean).toEqual(stats[i]!.mean);
      expect(b.apoz).toEqual(stats[i]!.apoz);
      expect(b.max).toEqual(stats[i]!.max);
      expect(b.count).toBe(100);
    });
    // No rows: max is -Infinity, which JSON writes as null and reads back.
    const empty = activationStats(mlp, Tensor.zeros([0, 10]));
    expect(statsFromJson(JSON.stringify(statsToJson(empty)))[0]!.max[0]).toBe(-Infinity);
  });

  it('rejects bad files and bad input clearly', () => {
    expect(() => statsFromJson('{')).toThrow(FormatError);
    expect(() => statsFromJson('{"format":"x"}')).toThrow(/Not a trimnet activation statistics file/);
    const j = statsToJson(activationStats(mlp, x));
    j.layers[0]!.sum.pop();
    expect(() => statsFromJson(j)).toThrow(/'sum' should have 12 entries/);
    const bad = x.clone();
    bad.data[5] = NaN;
    expect(() => activationStats(mlp, bad)).toThrow(DataError);
    expect(() => activationStats(mlp, Tensor.randn([4, 9]))).toThrow(ShapeError);
    expect(() => activationStats(mlp, x, { batchSize: 0 })).toThrow(/positive integer for batchSize/);
  });
});
