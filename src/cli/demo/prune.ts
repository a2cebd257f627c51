// Demo step: prune the trained model by its activation statistics at a few λ, and to a 28%
// parameter budget with bias compensation and reconstruction; show what each costs and saves.
import { pruneByActivation } from '../../prune/activation.js';
import { activationStats } from '../../prune/stats.js';
import { table } from '../util.js';
import type { DemoStep } from './context.js';

export const pruneStep: DemoStep = {
  name: 'prune',
  async run(ctx) {
    const ds = ctx.data!;
    const model = ctx.model!;
    const t0 = performance.now();
    const stats = activationStats(model, ds.train.x);
    const statsMs = performance.now() - t0;
    const base = model.evaluate(ds.test.x, ds.test.labels).accuracy;
    const dead = stats.map((s) => Array.from(s.apoz).filter((a) => a === 1).length);
    ctx.log(`prune: activation statistics of ${stats.map((s) => s.size).join(' + ')} hidden neurons over ${ds.train.x.rows} images in ${statsMs.toFixed(0)} ms; never-active neurons per layer: ${dead.join(', ')}`);
    const runs = [
      { label: 'λ=0.2', opts: { threshold: 0.2 } },
      { label: 'λ=0.4', opts: { threshold: 0.4 } },
      { label: 'λ=0.4 + bias comp.', opts: { threshold: 0.4, compensateBias: true } },
      { label: '28% budget + comp. + reconstr.', opts: { targetParams: 0.28, compensateBias: true, reconstruct: { x: ds.train.x.sliceRows(0, 5000) } } },
    ];
    const rows = runs.map(({ label, opts }) => {
      const { model: pruned, report } = pruneByActivation(model, stats, opts);
      const acc = pruned.evaluate(ds.test.x, ds.test.labels).accuracy;
      return { label, layerSizes: report.layerSizesAfter, params: report.paramsAfter, removedPct: report.paramsRemovedPct, accuracy: acc, drop: 100 * (base - acc), threshold: report.thresholds[0]! };
    });
    ctx.log(
      table(
        ['', 'layers', 'params', 'removed %', 'accuracy %', 'drop (pts)'],
        [
          ['unpruned', model.layerSizes().join('-'), model.paramCount(), '0.0', (100 * base).toFixed(2), '0.00'],
          ...rows.map((r) => [r.label, r.layerSizes.join('-'), r.params, r.removedPct.toFixed(1), (100 * r.accuracy).toFixed(2), r.drop.toFixed(2)]),
        ],
      ),
    );
    ctx.results.prune = { statsMs, baseAccuracy: base, dead, rows };
  },
};
