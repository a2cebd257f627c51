// `trimnet sweep`: prune at each λ, evaluate, and report params / size / accuracy / latency, as a
// table, JSON and a plot (SVG or PNG). Several statistics (`--statistic mean,apoz`) give one sweep
// each, drawn in one plot.
import { extname } from 'node:path';
import { type Command, Option } from 'commander';
import { loadDataset } from '../../io/datasets.js';
import { describeResult, plotSeries, svgToPng, sweepSvg, sweepTable } from '../../prune/report.js';
import { type Statistic, activationStats } from '../../prune/stats.js';
import { type SweepResult, type SweepRow, sweeps } from '../../prune/sweep.js';
import { expected } from '../../errors.js';
import { type PruneCliOptions, addPruneOptions, checkThreshold, statisticsOption } from '../prune/common.js';
import { ACTIVATION_HELP, readModel } from '../model-io.js';
import { checkOutputs, numberListOption, printJson, writeOutput } from '../util.js';

interface Options extends PruneCliOptions {
  statistic: Statistic[];
  thresholds?: number[];
  activation?: string;
  plot?: string;
  out?: string;
  latency: boolean;
}

/** λ grids that span each statistic's useful range (APoZ prunes where APoZ > λ, so it runs down from 1). */
export const DEFAULT_THRESHOLDS: Record<Statistic, number[]> = {
  mean: [0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3],
  meanAbs: [0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3],
  apoz: [1, 0.99, 0.97, 0.95, 0.9, 0.85, 0.8, 0.7, 0.6],
};

export function register(program: Command): void {
  const cmd = program
    .command('sweep')
    .description('prune at each λ and report neurons, parameters, bytes, accuracy, drop and latency (table, JSON, SVG/PNG plot)')
    .argument('<model>', 'the model file (.onnx, .safetensors or .npz)')
    .option('--activation <spec>', ACTIVATION_HELP)
    .addOption(new Option('--statistic <names>', 'mean, meanAbs or apoz; several, comma-separated, give one sweep each in one plot').argParser(statisticsOption).default(['mean'] as Statistic[], 'mean'))
    .option('--thresholds <list>', 'comma-separated λ values for every statistic (default: mean/meanAbs 0,0.01,0.02,0.05,0.1,0.15,0.2,0.3; apoz 1,0.99,0.97,0.95,0.9,0.85,0.8,0.7,0.6)', numberListOption('--thresholds', { min: 0 }))
    .option('--plot <file>', 'write a plot of accuracy, size and latency vs % parameters removed (.svg or .png)')
    .option('--out <file.json>', 'write the result as JSON')
    .option('--no-latency', 'skip the single-sample latency measurement')
    .option('--json', 'print the result as JSON');
  addPruneOptions(cmd).action(async (file: string, o: Options) => {
    if (o.plot && !['.svg', '.png'].includes(extname(o.plot).toLowerCase())) throw expected('a file name ending in .svg or .png', '--plot', o.plot);
    for (const s of o.statistic) for (const t of o.thresholds ?? []) checkThreshold('--thresholds', t, s, !!o.relative);
    checkOutputs([o.plot, o.out], [file]);
    const model = readModel(file, o, () => {}).model;
    const ds = loadDataset(o.data);
    const stats = activationStats(model, o.statsLimit ? ds.train.x.sliceRows(0, o.statsLimit) : ds.train.x);
    const results: SweepResult[] = sweeps(
      model,
      ds.test.x,
      ds.test.labels,
      o.statistic.map((statistic) => ({
        thresholds: o.thresholds ?? DEFAULT_THRESHOLDS[statistic],
        stats,
        statistic,
        relative: !!o.relative,
        compensateBias: !!o.compensateBias,
        ...(o.reconstruct ? { reconstruct: { x: ds.train.x.sliceRows(0, o.calib), ridge: o.ridge } } : {}),
        onRow: (r: SweepRow) => {
          if (!o.json && process.stderr.isTTY) process.stderr.write(`${statistic} λ=${r.threshold}: ${r.paramsRemovedPct.toFixed(1)}% removed, accuracy ${(100 * r.accuracy).toFixed(2)}%\n`);
        },
      })),
      { latency: o.latency },
    );
    const where = `${model.layerSizes().join('-')} on '${o.data}' (${ds.test.x.rows} test images)`;
    if (o.plot) {
      const svg = await sweepSvg(plotSeries(results), {
        title: `Activation pruning by ${results.map(describeResult).join(' vs ')}`,
        subtitle: `${where}; statistics on ${stats[0]!.count} training images${o.latency ? '; latency: predictOne of each model frozen for serving, one image, median of interleaved rounds' : ''}`,
        baseline: results[0]!.baseline,
      });
      writeOutput(o.plot, extname(o.plot).toLowerCase() === '.png' ? await svgToPng(svg) : svg, [file]);
    }
    const json = results.length === 1 ? results[0] : { sweeps: results };
    if (o.out) writeOutput(o.out, `${JSON.stringify(json, null, 2)}\n`, [file]);
    if (o.json) return printJson(json);
    results.forEach((r, i) => {
      console.log(`${i ? '\n' : ''}${file}: ${model.layerSizes().join('-')}, statistic: ${describeResult(r)}; statistics on ${stats[0]!.count} training images, accuracy on ${ds.test.x.rows} test images of '${o.data}'`);
      console.log(sweepTable(r));
    });
    if (o.latency) console.log(`predict µs: predictOne on one image, each model frozen for serving (mlp.freeze()) and warmed up, median of rounds in which all ${results.length > 1 ? 'sweeps’ ' : ''}models take turns`);
    if (o.plot) console.log(`wrote ${o.plot}`);
    if (o.out) console.log(`wrote ${o.out}`);
  });
}
