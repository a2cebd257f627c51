// `trimnet embed`: the activations of one hidden layer of a model for every image of a dataset
// split, written as a float32 .npy (rows in dataset order) for `trimnet align`, with the split's
// class labels beside it (a.npy → a.labels.npy, int32) for `align --method concat`.
import type { Command } from 'commander';
import { embed, hiddenLayerIndex } from '../../align/embed.js';
import { expected } from '../../errors.js';
import { loadDataset } from '../../io/datasets.js';
import { encodeNpy } from '../../io/npy.js';
import { ACTIVATION_HELP, readModel } from '../model-io.js';
import { checkOutputs, intOption, numberOption, printJson, writeOutput } from '../util.js';

/** Where embed writes the labels of `out`'s rows: a.npy → a.labels.npy. */
export function labelsPath(out: string): string {
  return `${out.replace(/\.npy$/i, '')}.labels.npy`;
}

export function register(program: Command): void {
  program
    .command('embed')
    .description('write the activations of a hidden layer (embeddings) of a model for a dataset split to .npy')
    .argument('<model>', 'the model file (.safetensors)')
    .requiredOption('--out <file>', 'output .npy file (float32, [images, layer width]); the labels go beside it (a.npy → a.labels.npy)')
    .option('--layer <i>', 'hidden layer: −1 = last hidden (penultimate layer), 0 = first', numberOption('--layer', { integer: true }), -1)
    .option('--data <name|dir>', "'mini' (bundled), 'fashion-mnist' (full set) or a directory of IDX files", 'mini')
    .option('--split <split>', 'train or test', 'test')
    .option('--limit <n>', 'only the first n images', intOption('--limit'))
    .option('--activation <spec>', ACTIVATION_HELP)
    .option('--json', 'print { out, labels, rows, dims, layer, layerSizes } as JSON')
    .action((file: string, o: { out: string; layer: number; data: string; split: string; limit?: number; activation?: string; json?: boolean }) => {
      if (o.split !== 'train' && o.split !== 'test') throw expected("'train' or 'test'", '--split', o.split);
      const labelsOut = labelsPath(o.out);
      checkOutputs([o.out, labelsOut], [file]);
      const model = readModel(file, o, () => {}).model;
      const layer = hiddenLayerIndex(model, o.layer);
      const ds = loadDataset(o.data, { split: o.split, ...(o.limit !== undefined ? { limit: o.limit } : {}) });
      const x = o.split === 'train' ? ds.train.x : ds.test.x;
      const e = embed(model, x, { layer });
      const y = o.split === 'train' ? ds.train.labels : ds.test.labels;
      writeOutput(o.out, encodeNpy(e), [file]);
      writeOutput(labelsOut, encodeNpy({ data: Int32Array.from(y), shape: [y.length] }), [file, o.out]);
      const out = { out: o.out, labels: labelsOut, rows: e.rows, dims: e.cols, layer, layerSizes: model.layerSizes(), data: o.data, split: o.split };
      if (o.json) return printJson(out);
      console.log(`${o.out}: ${e.rows} × ${e.cols} float32 embeddings from hidden layer ${layer} of ${out.layerSizes.join('-')} (${o.data}, ${o.split} split); labels in ${labelsOut}`);
    });
}
