import { describe, expect, it } from 'vitest';
import { MLP } from '../src/nn/mlp.js';
import { niceTicks, sweepSvg, sweepTable } from '../src/prune/report.js';
import { pruneByActivation } from '../src/prune/activation.js';
import { activationStats } from '../src/prune/stats.js';
import { sweep } from '../src/prune/sweep.js';
import { Tensor } from '../src/tensor.js';

const mlp = MLP.create({ sizes: [16, 24, 12, 4], seed: 21 });
const x = Tensor.randn([200, 16], 22);
const labels = mlp.predict(x); // the model is 100% accurate on its own predictions

describe('sweep', () => {
  it('reports one row per λ that agrees with pruneByActivation', () => {
    const thresholds = [0, 0.05, 0.1, 0.2];
    const r = sweep(mlp, x, labels, { thresholds, compensateBias: true, latencyReps: 5 });
    expect(r.baseline.accuracy).toBe(1);
    expect(r.baseline.params).toBe(mlp.paramCount());
    expect(r.baseline.bytes).toBe(mlp.toSafetensors().length);
    expect(r.rows.map((row) => row.threshold)).toEqual(thresholds);
    const stats = activationStats(mlp, x);
    for (const row of r.rows) {
      const { model, report } = pruneByActivation(mlp, stats, { threshold: row.threshold, compensateBias: true });
      expect(row.neurons).toEqual(report.kept);
      expect(row.params).toBe(model.paramCount());
      expect(row.bytes).toBe(model.toSafetensors().length);
      expect(row.accuracy).toBe(model.evaluate(x, labels).accuracy);
      expect(row.accuracyDrop).toBeCloseTo(100 * (1 - row.accuracy), 10);
      expect(row.latencyUs).toBeGreaterThan(0);
    }
    expect(r.rows[0]!.params).toBe(mlp.paramCount());
    expect(r.rows[3]!.params).toBeLessThan(r.rows[1]!.params);
    expect(r.compensateBias).toBe(true);
    const table = sweepTable(r);
    expect(table.split('\n')).toHaveLength(2 + 1 + thresholds.length);
    expect(table).toContain('removed %');
  });

  it('uses statsX and precomputed stats; rejects an empty λ list', () => {
    const statsX = Tensor.randn([50, 16], 23);
    const a = sweep(mlp, x, labels, { thresholds: [0.1], statsX, latency: false });
    const b = sweep(mlp, x, labels, { thresholds: [0.1], stats: activationStats(mlp, statsX), latency: false });
    expect(a.rows).toEqual(b.rows);
    expect(a.rows[0]!.latencyUs).toBeNull();
    expect(() => sweep(mlp, x, labels, { thresholds: [] })).toThrow(/non-empty array of thresholds/);
    expect(() => sweep(mlp, x, labels, { thresholds: [NaN] })).toThrow(/received NaN/);
  });
});

describe('sweepSvg', () => {
  it('draws axes, ticks, one path per series, λ labels and a legend', () => {
    const r = sweep(mlp, x, labels, { thresholds: [0, 0.05, 0.1, 0.2, 0.4], latency: false });
    const r2 = sweep(mlp, x, labels, { thresholds: [0, 0.05, 0.1, 0.2, 0.4], compensateBias: true, latency: false });
    const svg = sweepSvg([{ name: 'mean', rows: r.rows }, { name: 'mean + <comp>', rows: r2.rows }], { baseline: 1, title: 'test' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg.match(/<circle cx=[^>]*><title>/g)).toHaveLength(10);
    expect(svg).toContain('parameters removed (%)');
    expect(svg).toContain('test accuracy (%)');
    expect(svg).toContain('mean + &lt;comp&gt;'); // escaped
    expect(svg).toContain('λ=0.4');
    expect(svg).toContain('unpruned 100.00%');
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    expect(sweepSvg(r)).toContain('<path ');
  });

  it('picks nice ticks', () => {
    expect(niceTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(86.3, 89.9)).toEqual([87, 88, 89]);
    expect(niceTicks(0, 0.3)).toEqual([0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]);
    expect(niceTicks(5, 5).length).toBeGreaterThan(1);
  });
});

describe('sweep result shape (design: sweep(...) -> rows)', () => {
  it('is an array of rows carrying the baseline, and JSON keeps both', async () => {
    const { MLP } = await import('../src/nn/mlp.js');
    const { Tensor } = await import('../src/tensor.js');
    const mlp = MLP.create({ sizes: [6, 8, 3], seed: 1 });
    const x = Tensor.rand([40, 6], 2);
    const labels = Int32Array.from({ length: 40 }, (_, i) => i % 3);
    const r = sweep(mlp, x, labels, { thresholds: [0, 0.1], latency: false });
    expect(Array.isArray(r)).toBe(true);
    expect(r.length).toBe(2);
    expect(r[0]!.threshold).toBe(0);
    expect(r.rows).toBe(r);
    expect(r.baseline.params).toBe(mlp.paramCount());
    const json = JSON.parse(JSON.stringify(r));
    expect(json.rows.length).toBe(2);
    expect(json.baseline.params).toBe(mlp.paramCount());
  });
});
