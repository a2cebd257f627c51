// `trimnet sweep`: prune at each λ, evaluate, and report params / size / accuracy / latency,
// as a table, JSON and an SVG plot.
import type { Command } from 'commander';
import { assertNotInput } from '../../io/atomic.js';
import { loadDataset } from '../../io/datasets.js';
import { MLP } from '../../nn/mlp.js';
import { describeResult, sweepSvg, sweepTable } from '../../prune/report.js';
import { activationStats } from '../../prune/stats.js';
import { sweep } from '../../prune/sweep.js';
import { type PruneCliOptions, addPruneOptions, thresholdsOption } from '../prune/common.js';
import { ACTIVATION_HELP, readModel } from '../model-io.js';
import { printJson, writeOutput } from '../util.js';

interface Options extends PruneCliOptions {
  thresholds: number[];
  activation?: string;
  plot?: string;
  out?: string;
  latency: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('sweep')
    .description('prune at each λ and report neurons, parameters, bytes, accuracy, drop and latency (table, JSON, SVG plot)')
    .argument('<model>', 'the model file (.onnx, .safetensors or .npz)')
    .option('--activation <spec>', ACTIVATION_HELP)
    .option('--thresholds <list>', 'comma-separated λ values', thresholdsOption, [0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3])
    .option('--plot <file.svg>', 'write an SVG plot of accuracy vs % parameters removed')
    .option('--out <file.json>', 'write the result as JSON')
    .option('--no-latency', 'skip the single-sample latency measurement')
    .option('--json', 'print the result as JSON');
  addPruneOptions(cmd).action((file: string, o: Options) => {
    for (const out of [o.plot, o.out]) if (out) assertNotInput(out, [file]);
    const model = readModel(file, o, () => {}).model;
    const ds = loadDataset(o.data);
    const stats = activationStats(model, o.statsLimit ? ds.train.x.sliceRows(0, o.statsLimit) : ds.train.x);
    const result = sweep(model, ds.test.x, ds.test.labels, {
      thresholds: o.thresholds,
      stats,
      statistic: o.statistic,
      relative: !!o.relative,
      compensateBias: !!o.compensateBias,
      latency: o.latency,
      ...(o.reconstruct ? { reconstruct: { x: ds.train.x.sliceRows(0, o.calib), ridge: o.ridge } } : {}),
      onRow: (r) => {
        if (!o.json && process.stderr.isTTY) process.stderr.write(`λ=${r.threshold}: ${r.paramsRemovedPct.toFixed(1)}% removed, accuracy ${(100 * r.accuracy).toFixed(2)}%\n`);
      },
    });
    if (o.plot) writeOutput(o.plot, sweepSvg(result, { title: `${model.layerSizes().join('-')} on '${o.data}': ${describeResult(result)}` }), [file]);
    if (o.out) writeOutput(o.out, `${JSON.stringify(result, null, 2)}\n`, [file]);
    if (o.json) return printJson(result);
    console.log(`${file}: ${model.layerSizes().join('-')}, ${describeResult(result)}; statistics on ${stats[0]!.count} training images, accuracy on ${ds.test.x.rows} test images of '${o.data}'`);
    console.log(sweepTable(result));
    if (o.plot) console.log(`wrote ${o.plot}`);
    if (o.out) console.log(`wrote ${o.out}`);
  });
}
