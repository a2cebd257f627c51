// `trimnet stats`: per-neuron activation statistics of a model's hidden layers on a dataset.
import type { Command } from 'commander';
import { expected } from '../../errors.js';
import { loadDataset } from '../../io/datasets.js';
import { type LayerStats, activationStats, statsToJson } from '../../prune/stats.js';
import { ACTIVATION_HELP, readModel } from '../model-io.js';
import { checkOutputs, intOption, printJson, table, writeOutput } from '../util.js';

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** One layer's summary: dead neurons (never active), quantiles of the mean, a text histogram. */
export function summarise(s: LayerStats) {
  const mean = Float64Array.from(s.mean).sort();
  const dead = Array.from(s.apoz).filter((a) => a === 1).length;
  const q = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1].map((p) => quantile(mean, p));
  return { size: s.size, count: s.count, dead, meanQuantiles: { min: q[0]!, p10: q[1]!, p25: q[2]!, p50: q[3]!, p75: q[4]!, p90: q[5]!, max: q[6]! }, meanApoz: s.apoz.reduce((a, b) => a + b, 0) / s.size };
}

export function histogram(values: ArrayLike<number>, bins = 10, width = 40): string[] {
  const v = Array.from(values);
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  const span = hi > lo ? hi - lo : 1;
  const counts = new Array<number>(bins).fill(0);
  for (const x of v) counts[Math.min(bins - 1, Math.floor(((x - lo) / span) * bins))]!++;
  const max = Math.max(...counts, 1);
  return counts.map((c, i) => {
    const a = lo + (span * i) / bins;
    const b = lo + (span * (i + 1)) / bins;
    return `  [${a.toFixed(3).padStart(7)}, ${b.toFixed(3).padStart(7)})  ${'█'.repeat(Math.round((c / max) * width)).padEnd(width)} ${c}`;
  });
}

export function register(program: Command): void {
  program
    .command('stats')
    .description("per-neuron activation statistics of a model's hidden layers (mean, mean |a|, APoZ, max)")
    .argument('<model>', 'the model file (.onnx, .safetensors or .npz)')
    .option('--activation <spec>', ACTIVATION_HELP)
    .option('--data <name|dir>', "'mini' (bundled), 'fashion-mnist' (full set) or a directory of IDX files", 'mini')
    .option('--split <name>', 'train or test', 'train')
    .option('--limit <n>', 'use only the first n images', intOption('--limit'))
    .option('--batch-size <n>', 'rows per forward batch', intOption('--batch-size'), 1024)
    .option('--out <file>', 'write the statistics as JSON (mergeable, readable by prune --stats)')
    .option('--json', 'print the summary as JSON')
    .action((file: string, o: { data: string; split: string; limit?: number; batchSize: number; out?: string; json?: boolean; activation?: string }) => {
      if (o.split !== 'train' && o.split !== 'test') throw expected("'train' or 'test'", '--split', o.split);
      checkOutputs([o.out], [file]);
      const model = readModel(file, o, () => {}).model;
      const ds = loadDataset(o.data, { split: o.split, ...(o.limit !== undefined ? { limit: o.limit } : {}) });
      const x = o.split === 'train' ? ds.train.x : ds.test.x;
      const t0 = performance.now();
      const stats = activationStats(model, x, { batchSize: o.batchSize });
      const seconds = (performance.now() - t0) / 1000;
      if (o.out) writeOutput(o.out, `${JSON.stringify(statsToJson(stats, model))}\n`, [file]);
      const layers = stats.map(summarise);
      if (o.json) return printJson({ model: file, layerSizes: model.layerSizes(), samples: x.rows, seconds, layers, ...(o.out ? { out: o.out } : {}) });
      console.log(`${file}: ${model.layerSizes().join('-')} ${model.describeActivations()}; statistics over ${x.rows} ${o.split} images of '${o.data}' in ${seconds.toFixed(2)} s`);
      console.log(
        table(
          ['layer', 'neurons', 'dead', 'mean APoZ', 'min', 'p10', 'p25', 'median', 'p75', 'p90', 'max'],
          layers.map((l, i) => [i, l.size, l.dead, l.meanApoz.toFixed(3), ...Object.values(l.meanQuantiles).map((v) => v.toFixed(4))]),
        ),
      );
      stats.forEach((s, i) => {
        console.log(`\nhidden layer ${i}: histogram of per-neuron mean activation`);
        for (const line of histogram(s.mean)) console.log(line);
      });
      if (o.out) console.log(`\nwrote ${o.out}`);
    });
}
