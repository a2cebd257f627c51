// `trimnet train`: trains an MLP on an IDX dataset and writes it as safetensors (PyTorch names).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { getBackend } from '../../backend/registry.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { loadDataset } from '../../io/datasets.js';
import { MLP } from '../../nn/mlp.js';
import { train } from '../../nn/train.js';
import { expected } from '../../errors.js';
import { parseActivations } from '../../nn/activation.js';
import { modelBytes } from '../model-io.js';
import { checkOutputs, intOption, numberOption, parseLayers, plural, printJson, table } from '../util.js';

interface TrainCliOptions {
  data: string;
  layers: number[];
  activation: string;
  epochs: number;
  batchSize: number;
  lr?: number;
  optimizer: string;
  momentum: number;
  weightDecay: number;
  seed: number;
  limit?: number;
  out: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('train')
    .description('train an MLP on Fashion-MNIST (or any IDX dataset) and save it as safetensors')
    .option('--data <name|dir>', "'mini' (bundled), 'fashion-mnist' (full set) or a directory of IDX files", 'mini')
    .addOption(new Option('--layers <sizes>', "hidden layer sizes, comma-separated ('none': no hidden layer)").argParser(parseLayers).default([512, 256], '512,256'))
    .option('--activation <name>', 'relu, leaky_relu(SLOPE), gelu, tanh, sigmoid or identity; per hidden layer "gelu,gelu,tanh" or a JSON list', 'relu')
    .option('--epochs <n>', 'passes over the training set', intOption('--epochs'), 8)
    .option('--batch-size <n>', 'rows per mini-batch', intOption('--batch-size'), 128)
    .option('--lr <rate>', 'learning rate (default 1e-3 for adam, 1e-2 for sgd)', numberOption('--lr', { above: 0 }))
    .option('--optimizer <name>', 'adam or sgd', 'adam')
    .option('--momentum <m>', 'SGD momentum', numberOption('--momentum', { min: 0, max: 1 }), 0.9)
    .option('--weight-decay <wd>', 'L2 weight decay (as PyTorch weight_decay)', numberOption('--weight-decay', { min: 0 }), 0)
    .option('--seed <n>', 'seed for the initial weights and the shuffling', intOption('--seed', { min: 0 }), 0)
    .option('--limit <n>', 'use only the first n training (and test) images', intOption('--limit'))
    .option('--out <file>', 'where to write the model (.onnx or .safetensors, by extension)', 'model.safetensors')
    .option('--json', 'print the result as JSON')
    .action((o: TrainCliOptions) => {
      if (o.optimizer !== 'adam' && o.optimizer !== 'sgd') throw expected("'adam' or 'sgd'", '--optimizer', o.optimizer);
      checkOutputs([o.out]);
      const ds = loadDataset(o.data, o.limit !== undefined ? { limit: o.limit } : {});
      // never write over the dataset's own files
      const dataFiles = existsSync(ds.dir) && statSync(ds.dir).isDirectory() ? readdirSync(ds.dir).map((f) => join(ds.dir, f)) : [];
      checkOutputs([o.out], dataFiles);
      const sizes = [ds.train.x.cols, ...o.layers, ds.classes.length];
      const model = MLP.create({ sizes, activation: parseActivations(o.activation, sizes.length - 2, '--activation'), seed: o.seed });
      const log = (s: string) => {
        if (!o.json) console.log(s);
      };
      log(`training ${sizes.join('-')} ${model.describeActivations()} on '${o.data}' (${ds.train.x.rows} images), ${o.optimizer}, ${plural(o.epochs, 'epoch')}, batch ${o.batchSize}, backend ${getBackend().name}`);
      const result = train(model, ds.train.x, ds.train.labels, {
        epochs: o.epochs,
        batchSize: o.batchSize,
        optimizer: o.optimizer,
        ...(o.lr !== undefined ? { lr: o.lr } : {}),
        momentum: o.momentum,
        weightDecay: o.weightDecay,
        seed: o.seed,
        progress: !o.json,
        onProgress: (p) => {
          if (p.done && !process.stderr.isTTY) log(`epoch ${p.epoch}/${p.epochs}: loss ${p.loss.toFixed(4)}, train accuracy ${p.accuracy.toFixed(4)}, ${p.seconds.toFixed(2)} s`);
        },
      });
      const test = ds.test.x.rows ? model.evaluate(ds.test.x, ds.test.labels) : null;
      writeFileAtomic(o.out, modelBytes(model, o.out, { source: `trimnet train on '${o.data}'` }), { inputs: dataFiles });
      const secs = result.epochs.map((e) => e.seconds);
      const summary = {
        out: o.out,
        layerSizes: model.layerSizes(),
        params: model.paramCount(),
        activation: model.describeActivations(),
        backend: getBackend().name,
        epochs: result.epochs,
        secondsPerEpoch: secs.length ? secs.reduce((a, b) => a + b, 0) / secs.length : 0,
        test,
      };
      if (o.json) return printJson(summary);
      console.log(table(['epoch', 'loss', 'train acc', 'seconds'], result.epochs.map((e) => [e.epoch, e.loss.toFixed(4), e.accuracy.toFixed(4), e.seconds.toFixed(2)])));
      if (test) console.log(`test accuracy ${test.accuracy.toFixed(4)}, loss ${test.loss.toFixed(4)} on ${ds.test.x.rows} images`);
      console.log(`wrote ${o.out} (${model.paramCount()} parameters, ${summary.secondsPerEpoch.toFixed(2)} s/epoch)`);
    });
}
