// `trimnet l2`: structured Ln pruning of each Linear layer's rows, as PyTorch's
// prune.ln_structured(m, 'weight', amount, n, dim=0) + prune.remove (with --mask-only), or with
// the selected neurons removed physically (default).
import type { Command } from 'commander';
import { ArgumentError, expected } from '../../errors.js';
import { loadDataset } from '../../io/datasets.js';
import { pruneStructured } from '../../prune/structured.js';
import { ACTIVATION_HELP, modelBytes, readModel } from '../model-io.js';
import { checkOutputs, parseNumber, printJson, table, writeOutput } from '../util.js';

interface Options {
  amount?: string;
  count?: string;
  n: string;
  allLayers?: boolean;
  maskOnly?: boolean;
  data?: string;
  out: string;
  json?: boolean;
  activation?: string;
}

export function register(program: Command): void {
  program
    .command('l2')
    .description("structured Ln pruning of rows, identical to PyTorch's prune.ln_structured + prune.remove")
    .argument('<model>', 'the model file (.onnx, .safetensors or .npz)')
    .option('--activation <spec>', ACTIVATION_HELP)
    .option('--amount <fraction>', "fraction of each layer's neurons to prune (PyTorch's float amount, rounded half to even)")
    .option('--count <n>', "number of each layer's neurons to prune (PyTorch's int amount)")
    .option('--n <norm>', 'the norm: 1, 2 or inf', '2')
    .option('--all-layers', 'also prune the output layer (needs --mask-only, as PyTorch’s loop over every Linear)')
    .option('--mask-only', 'zero the rows as PyTorch does (sizes unchanged, bias untouched) instead of removing the neurons')
    .option('--data <name|dir>', 'evaluate before and after on this dataset’s test split')
    .requiredOption('--out <file>', 'where to write the model (.onnx or .safetensors, by extension)')
    .option('--json', 'print the report as JSON')
    .action((file: string, o: Options) => {
      if ((o.amount === undefined) === (o.count === undefined)) throw new ArgumentError('Give exactly one of --amount (a fraction) or --count (a number of neurons)');
      const n = o.n === 'inf' || o.n === 'Infinity' ? Infinity : Number(o.n);
      if (n !== 1 && n !== 2 && n !== Infinity) throw expected('1, 2 or inf', '--n', o.n);
      if (o.allLayers && !o.maskOnly) throw new ArgumentError('--all-layers needs --mask-only: the output layer is never removed physically (its rows are the classes)');
      const amount = o.amount !== undefined ? parseNumber('--amount', o.amount, { min: 0, max: 1 }) : undefined;
      const count = o.count !== undefined ? parseNumber('--count', o.count, { integer: true, min: 0 }) : undefined;
      checkOutputs([o.out], [file]);
      const source = readModel(file, o, o.json ? () => {} : console.log);
      const model = source.model;
      const { model: pruned, report } = pruneStructured(model, {
        ...(amount !== undefined ? { amount } : { count: count! }),
        n,
        includeOutput: !!o.allLayers,
        shrink: !o.maskOnly,
      });
      const bytes = modelBytes(pruned, o.out, { source: file, pruned: `structured L${o.n} (amount ${o.amount ?? `${o.count} neurons`}${o.maskOnly ? ', zeroed' : ', removed'})` }, source);
      let acc: { before: number; after: number } | null = null;
      if (o.data) {
        const ds = loadDataset(o.data, { split: 'test' });
        acc = { before: model.evaluate(ds.test.x, ds.test.labels).accuracy, after: pruned.evaluate(ds.test.x, ds.test.labels).accuracy };
      }
      writeOutput(o.out, bytes, [file]);
      const zeroed = (report.zeroed ?? report.removedIndices).map((r) => r.length);
      const out = { out: o.out, mode: o.maskOnly ? 'mask' : 'shrink', n: o.n, ...(amount !== undefined ? { amount } : { count }), zeroedPerLayer: zeroed, ...report, bytes: bytes.length, accuracy: acc };
      if (o.json) return printJson(out);
      console.log(`${file}: ${report.layerSizesBefore.join('-')} -> ${report.layerSizesAfter.join('-')} (L${o.n} structured, ${o.maskOnly ? 'rows zeroed as PyTorch' : 'neurons removed'}${o.allLayers ? ', every layer' : ''})`);
      console.log(
        table(
          ['', 'params', 'test accuracy'],
          [
            ['before', report.paramsBefore, acc ? (100 * acc.before).toFixed(2) : '-'],
            ['after', report.paramsAfter, acc ? (100 * acc.after).toFixed(2) : '-'],
          ],
        ),
      );
      console.log(`rows ${o.maskOnly ? 'zeroed per layer' : 'removed per hidden layer'}: ${zeroed.join(', ')}`);
      console.log(`wrote ${o.out}`);
    });
}
