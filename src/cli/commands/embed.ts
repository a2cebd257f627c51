// `trimnet embed`: the activations of one hidden layer of a model for every image of a dataset
// split, written as a float32 .npy (rows in dataset order) for `trimnet align`.
import type { Command } from 'commander';
import { embed, hiddenLayerIndex } from '../../align/embed.js';
import type { Activation } from '../../backend/types.js';
import { expected } from '../../errors.js';
import { loadDataset } from '../../io/datasets.js';
import { writeNpy } from '../../io/npy.js';
import { MLP } from '../../nn/mlp.js';
import { ACTIVATION_HELP, readModel } from '../model-io.js';
import { activationOption, intOption, printJson, writeOutput } from '../util.js';

function layerOption(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n)) throw expected('an integer hidden layer index (−1 = last hidden layer)', '--layer', v);
  return n;
}

export function register(program: Command): void {
  program
    .command('embed')
    .description('write the activations of a hidden layer (embeddings) of a model for a dataset split to .npy')
    .argument('<model>', 'the model file (.safetensors)')
    .requiredOption('--out <file>', 'output .npy file (float32, [images, layer width])')
    .option('--layer <i>', 'hidden layer: −1 = last hidden (penultimate layer), 0 = first', layerOption, -1)
    .option('--data <name|dir>', "'mini' (bundled), 'fashion-mnist' (full set) or a directory of IDX files", 'mini')
    .option('--split <split>', 'train or test', 'test')
    .option('--limit <n>', 'only the first n images', intOption('--limit'))
    .option('--activation <name>', ACTIVATION_HELP)
    .option('--json', 'print { out, rows, dims, layer, layerSizes } as JSON')
    .action((file: string, o: { out: string; layer: number; data: string; split: string; limit?: number; activation?: string; json?: boolean }) => {
      if (o.split !== 'train' && o.split !== 'test') throw expected("'train' or 'test'", '--split', o.split);
      const model = readModel(file, o, () => {}).model;
      const layer = hiddenLayerIndex(model, o.layer);
      const ds = loadDataset(o.data, { split: o.split, ...(o.limit !== undefined ? { limit: o.limit } : {}) });
      const x = o.split === 'train' ? ds.train.x : ds.test.x;
      const e = embed(model, x, { layer });
      writeOutput(o.out, writeNpy(e), [file]);
      const out = { out: o.out, rows: e.rows, dims: e.cols, layer, layerSizes: model.layerSizes(), data: o.data, split: o.split };
      if (o.json) return printJson(out);
      console.log(`${o.out}: ${e.rows} × ${e.cols} float32 embeddings from hidden layer ${layer} of ${out.layerSizes.join('-')} (${o.data}, ${o.split} split)`);
    });
}
