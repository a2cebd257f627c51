// The PyTorch-trained 784-512-256-10 reference model (nn fixture) against PyTorch's own
// statistics and one-shot physical pruning table (test/fixtures/make_prune.py). The mini split
// always runs; the full Fashion-MNIST (60,000 / 10,000) with TRIMNET_FULL=1.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../src/io/datasets.js';
import { pruneByActivation } from '../src/prune/activation.js';
import { activationStats } from '../src/prune/stats.js';
import { loadSequential } from './prune-helpers.js';

interface Row {
  threshold: number;
  compensateBias: boolean;
  kept: number[];
  removed: number[][];
  params: number;
  correct: number;
  accuracy: number;
}
interface Ref {
  statsRows?: number;
  params: number;
  accuracy: number;
  meansTrain: number[][];
  meansTest: number[][];
  table: Row[];
}

const fx = join(import.meta.dirname, 'fixtures');
const model = loadSequential(join(fx, 'nn', 'torch_784_512_256_10.safetensors'));

function check(name: 'mini' | 'fashion-mnist', ref: Ref) {
  const data = loadDataset(name);
  const statsX = ref.statsRows ? data.train.x.sliceRows(0, ref.statsRows) : data.train.x;
  const stats = activationStats(model, statsX, { batchSize: 2048 });
  const testStats = activationStats(model, data.test.x);

  it('per-neuron mean activations match PyTorch to 1e-4 (train and test split)', () => {
    for (const [st, means] of [
      [stats, ref.meansTrain],
      [testStats, ref.meansTest],
    ] as const) {
      expect(st.length).toBe(2);
      st.forEach((s, i) => {
        expect(s.size).toBe(means[i]!.length);
        let worst = 0;
        for (let j = 0; j < s.size; j++) worst = Math.max(worst, Math.abs(s.mean[j]! - means[i]![j]!));
        expect(worst).toBeLessThan(1e-4);
      });
    }
    expect(model.paramCount()).toBe(ref.params);
    expect(Math.abs(model.evaluate(data.test.x, data.test.labels).accuracy - ref.accuracy)).toBeLessThanOrEqual(0.0005);
  });

  it('one-shot physical pruning matches PyTorch at every λ: neurons kept, params, accuracy ±0.05 points', () => {
    expect(ref.table.length).toBe(16);
    for (const row of ref.table) {
      const { model: pruned, report } = pruneByActivation(model, stats, { threshold: row.threshold, compensateBias: row.compensateBias });
      const label = `λ=${row.threshold} compensate=${row.compensateBias}`;
      expect(report.kept, label).toEqual(row.kept);
      expect(report.removed, label).toEqual(row.removed);
      expect(report.paramsAfter, label).toBe(row.params);
      const acc = pruned.evaluate(data.test.x, data.test.labels).accuracy;
      expect(Math.abs(acc - row.accuracy), label).toBeLessThanOrEqual(0.0005 + 1e-12);
    }
  });
}

describe('reference model on the bundled mini split', () => {
  check('mini', JSON.parse(readFileSync(join(fx, 'prune', 'trained_mini.json'), 'utf8')) as Ref);
});

describe.runIf(process.env.TRIMNET_FULL === '1')('reference model on the full Fashion-MNIST (TRIMNET_FULL=1)', () => {
  check('fashion-mnist', JSON.parse(readFileSync(join(fx, 'prune', 'trained_full.json'), 'utf8')) as Ref);
});
