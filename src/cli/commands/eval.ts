// `trimnet eval`: accuracy and loss of a safetensors MLP on a dataset's test split.
import type { Command } from 'commander';
import { loadDataset } from '../../io/datasets.js';
import { ACTIVATION_HELP, readModel } from '../model-io.js';
import { intOption, printJson } from '../util.js';

export function register(program: Command): void {
  program
    .command('eval')
    .description("evaluate a model (.safetensors) on a dataset's test split")
    .argument('<model>', 'the model file (.safetensors, PyTorch nn.Sequential or named layers)')
    .option('--data <name|dir>', "'mini' (bundled), 'fashion-mnist' (full set) or a directory of IDX files", 'mini')
    .option('--activation <name>', ACTIVATION_HELP)
    .option('--limit <n>', 'use only the first n test images', intOption('--limit'))
    .option('--json', 'print { accuracy, loss, params, layerSizes } as JSON')
    .action((file: string, o: { data: string; activation?: string; limit?: number; json?: boolean }) => {
      const model = readModel(file, o, () => {}).model;
      const ds = loadDataset(o.data, { split: 'test', ...(o.limit !== undefined ? { limit: o.limit } : {}) });
      const { accuracy, loss } = model.evaluate(ds.test.x, ds.test.labels);
      const out = { accuracy, loss, params: model.paramCount(), layerSizes: model.layerSizes() };
      if (o.json) return printJson(out);
      console.log(`${file}: ${out.layerSizes.join('-')} ${model.describeActivations()}, ${out.params} parameters`);
      console.log(`test accuracy ${accuracy.toFixed(4)} (${Math.round(accuracy * ds.test.x.rows)}/${ds.test.x.rows}), loss ${loss.toFixed(4)} on '${o.data}'`);
    });
}
