// `trimnet prune`: activation pruning of a model, written as a smaller safetensors file.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ArgumentError } from '../../errors.js';
import { loadDataset } from '../../io/datasets.js';
import { type PruneByActivationOptions, pruneByActivation } from '../../prune/activation.js';
import { activationStats, statsFromJson } from '../../prune/stats.js';
import { type PruneCliOptions, addPruneOptions, checkThreshold, statisticOption, targetParamsOption } from '../prune/common.js';
import { addActivationOption, modelBytes, readModel } from '../model-io.js';
import { checkOutputs, intOption, numberOption, printJson, table, writeOutput } from '../util.js';
import type { Statistic } from '../../prune/stats.js';

interface Options extends PruneCliOptions {
  statistic: Statistic;
  threshold?: number;
  targetParams?: number;
  minNeurons: number;
  stats?: string;
  finetune?: number;
  lr?: number;
  out: string;
  activation?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('prune')
    .description('remove hidden neurons whose activation statistic is below λ (physically: the model gets smaller)')
    .argument('<model>', 'the model file (.onnx, .safetensors or .npz)')
    .option('--threshold <λ>', 'prune neurons whose statistic is below λ (APoZ: above λ)', numberOption('--threshold', { min: 0 }))
    .option('--statistic <name>', 'mean, meanAbs or apoz (APoZ prunes where APoZ > λ)', statisticOption, 'mean' as Statistic)
    .option('--target-params <p>', 'instead of λ: keep at most this fraction (≤ 1) or whole count (> 1) of parameters; λ is found by bisection', targetParamsOption)
    .option('--min-neurons <n>', 'fewest neurons a hidden layer keeps', intOption('--min-neurons'), 1)
    .option('--stats <file>', 'statistics JSON from `trimnet stats --out` (default: collected on the training split)')
    .option('--finetune <epochs>', 'fine-tune the pruned model for this many epochs on the training split', intOption('--finetune'))
    .option('--lr <rate>', 'learning rate for --finetune (Adam)', numberOption('--lr', { above: 0 }), 1e-4)
    .requiredOption('--out <file>', 'where to write the pruned model (.onnx or .safetensors, by extension)')
    .option('--json', 'print the report as JSON');
  addActivationOption(addPruneOptions(cmd)).action((file: string, o: Options) => {
    if ((o.threshold === undefined) === (o.targetParams === undefined)) throw new ArgumentError('Give exactly one of --threshold or --target-params');
    if (o.threshold !== undefined) checkThreshold('--threshold', o.threshold, o.statistic, !!o.relative);
    checkOutputs([o.out], [file, ...(o.stats ? [o.stats] : [])]);
    const log = (s: string) => {
      if (!o.json) console.log(s);
    };
    const source = readModel(file, o, log);
    const model = source.model;
    const ds = loadDataset(o.data);
    const inputs = [file, ...(o.stats ? [o.stats] : [])];
    const stats = o.stats
      ? statsFromJson(readFileSync(o.stats, 'utf8'))
      : activationStats(model, o.statsLimit ? ds.train.x.sliceRows(0, o.statsLimit) : ds.train.x);
    const before = ds.test.x.rows ? model.evaluate(ds.test.x, ds.test.labels).accuracy : null;
    const opts: PruneByActivationOptions = {
      statistic: o.statistic,
      relative: !!o.relative,
      compensateBias: !!o.compensateBias,
      minNeurons: o.minNeurons,
      ...(o.threshold !== undefined ? { threshold: o.threshold } : { targetParams: o.targetParams! }),
      ...(o.reconstruct ? { reconstruct: { x: ds.train.x.sliceRows(0, o.calib), ridge: o.ridge } } : {}),
      ...(o.finetune ? { finetune: { epochs: o.finetune, x: ds.train.x, labels: ds.train.labels, lr: o.lr, progress: !o.json } } : {}),
    };
    const t0 = performance.now();
    const { model: pruned, report } = pruneByActivation(model, stats, opts);
    const seconds = (performance.now() - t0) / 1000;
    const after = ds.test.x.rows ? pruned.evaluate(ds.test.x, ds.test.labels).accuracy : null;
    const bytes = modelBytes(pruned, o.out, { source: file, pruned: `activation pruning (${o.statistic}, λ = ${report.thresholds.join(',')}${o.reconstruct ? ', reconstructed' : ''}): ${report.layerSizesBefore.join('-')} -> ${report.layerSizesAfter.join('-')}` }, source);
    writeOutput(o.out, bytes, inputs);
    const out = {
      out: o.out,
      ...report,
      bytesBefore: modelBytes(model, o.out, { source: file }, source).length,
      bytesAfter: bytes.length,
      accuracyBefore: before,
      accuracyAfter: after,
      accuracyDrop: before !== null && after !== null ? 100 * (before - after) : null,
      seconds,
    };
    if (o.json) return printJson(out);
    log(`${file}: ${report.layerSizesBefore.join('-')} -> ${report.layerSizesAfter.join('-')} (${o.statistic}${o.relative ? ', relative' : ''} λ = ${report.thresholds.map((t) => Number(t.toPrecision(6))).join(', ')})`);
    log(
      table(
        ['', 'params', 'bytes', 'test accuracy'],
        [
          ['before', report.paramsBefore, out.bytesBefore, before === null ? '-' : (100 * before).toFixed(2)],
          ['after', report.paramsAfter, out.bytesAfter, after === null ? '-' : (100 * after).toFixed(2)],
        ],
      ),
    );
    log(`removed ${report.paramsRemovedPct.toFixed(1)}% of parameters${out.accuracyDrop !== null ? `, accuracy drop ${out.accuracyDrop.toFixed(2)} points` : ''}${o.compensateBias ? ', bias compensated' : ''}${o.reconstruct ? ', reconstructed' : ''}${o.finetune ? `, fine-tuned ${o.finetune} epoch${o.finetune === 1 ? '' : 's'}` : ''}`);
    log(`wrote ${o.out}`);
  });
}
