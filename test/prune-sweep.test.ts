import { describe, expect, it } from 'vitest';
import { MLP } from '../src/nn/mlp.js';
import { plotSeries, svgToPng, sweepPlotSpec, sweepSvg, sweepTable } from '../src/prune/report.js';
import { pruneByActivation } from '../src/prune/activation.js';
import { activationStats } from '../src/prune/stats.js';
import { interleavedLatencyUs, sweep, sweeps } from '../src/prune/sweep.js';
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

describe('sweep plot (Vega)', () => {
  const r = sweep(mlp, x, labels, { thresholds: [0, 0.02, 0.04, 0.05, 0.1, 0.2, 0.4], latency: false });
  const r2 = sweep(mlp, x, labels, { thresholds: [1, 0.9, 0.8, 0.7, 0.5], statistic: 'apoz', compensateBias: true, latencyReps: 20 });

  it('names the statistics in the title and legend, with panels for size and latency', async () => {
    const svg = await sweepSvg(plotSeries([r, r2]), { baseline: r.baseline, subtitle: 'test <model>' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Activation pruning by mean activation vs APoZ + bias compensation');
    expect(svg).toContain('statistic'); // the legend's title
    expect(svg).toContain('test &lt;model&gt;'); // escaped
    for (const t of ['parameters removed (%)', 'test accuracy (%)', 'safetensors size (KiB)', 'predictOne, median (µs)', 'unpruned']) expect(svg).toContain(t);
    expect(svg).toContain('λ=0.4');
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    // one sweep, no latency: the latency panel is left out
    const one = await sweepSvg(r);
    expect(one).toContain('safetensors size (KiB)');
    expect(one).not.toContain('predictOne');
  });

  it('places the λ labels so that no two overlap', async () => {
    const vega = await import('vega');
    const view = new vega.View(vega.parse(sweepPlotSpec(plotSeries([r, r2])) as unknown as import('vega').Spec), { renderer: 'none' });
    await view.runAsync();
    type Item = { text?: string; opacity?: number; bounds: { x1: number; y1: number; x2: number; y2: number }; items?: Item[]; mark?: unknown };
    const labels: { x1: number; y1: number; x2: number; y2: number }[] = [];
    const walk = (node: Item, dx: number, dy: number) => {
      if (typeof node.text === 'string' && node.text.startsWith('λ=') && node.opacity !== 0) labels.push({ x1: node.bounds.x1 + dx, y1: node.bounds.y1 + dy, x2: node.bounds.x2 + dx, y2: node.bounds.y2 + dy });
      const g = node as unknown as { x?: number; y?: number; marktype?: string };
      const isGroupItem = !('marktype' in g) && node.items !== undefined;
      for (const c of node.items ?? []) walk(c, dx + (isGroupItem ? (g.x ?? 0) : 0), dy + (isGroupItem ? (g.y ?? 0) : 0));
    };
    walk(view.scenegraph().root as unknown as Item, 0, 0);
    view.finalize();
    expect(labels.length).toBeGreaterThan(6); // most of the 12 points keep a label
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        const a = labels[i]!;
        const b = labels[j]!;
        const overlap = a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
        expect(overlap, `labels ${i} and ${j} overlap`).toBe(false);
      }
    }
  });

  it('renders to PNG', async () => {
    const png = await svgToPng(await sweepSvg(r), 1);
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const width = new DataView(png.buffer, png.byteOffset).getUint32(16);
    expect(width).toBeGreaterThan(800);
  });
});

describe('sweeps', () => {
  it('runs each sweep as sweep() does and measures every model in the same rounds', () => {
    const list = [{ thresholds: [0, 0.1] }, { thresholds: [1, 0.8], statistic: 'apoz' as const }];
    const both = sweeps(mlp, x, labels, list, { latencyReps: 20 });
    expect(both).toHaveLength(2);
    both.forEach((r, k) => {
      const alone = sweep(mlp, x, labels, { ...list[k]!, latency: false });
      expect(r.rows.map((row) => ({ ...row, latencyUs: null }))).toEqual([...alone.rows]);
      expect(r.rows.every((row) => row.latencyUs! > 0)).toBe(true);
    });
    expect(both[0]!.baseline.latencyUs).toBe(both[1]!.baseline.latencyUs); // measured once, shared
    expect(sweeps(mlp, x, labels, list, { latency: false })[0]!.rows[0]!.latencyUs).toBeNull();
  });
});

describe('interleavedLatencyUs', () => {
  it('gives one positive median per model', () => {
    const small = MLP.create({ sizes: [16, 4, 4], seed: 3 });
    const t = interleavedLatencyUs([mlp, small], x.data.slice(0, 16), 30);
    expect(t).toHaveLength(2);
    expect(t.every((v) => v > 0 && Number.isFinite(v))).toBe(true);
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
