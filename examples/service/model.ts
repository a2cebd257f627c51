// How the example service gets its model: a safetensors file (unpruned or pruned, any layer
// sizes), or, when none is given, a small MLP trained at start-up on the bundled mini data.
import { MLP, loadDataset, train } from '../../src/index.js';

export interface LoadedModel {
  model: MLP;
  source: string;
}

/** Trains a 784-256-128-10 ReLU MLP on the bundled Fashion-MNIST subset (a few seconds). */
export function trainDefaultModel(opts: { epochs?: number; sizes?: number[]; limit?: number; seed?: number } = {}): MLP {
  const ds = loadDataset('mini', { split: 'train', limit: opts.limit });
  const model = MLP.create({ sizes: opts.sizes ?? [784, 256, 128, 10], activation: 'relu', seed: opts.seed ?? 0 });
  train(model, ds.train.x, ds.train.labels, { epochs: opts.epochs ?? 2, batchSize: 128, lr: 1e-3, optimizer: 'adam', seed: opts.seed ?? 0 });
  return model;
}

/** `path` (MODEL env): a safetensors file; empty: train the default model. */
export function loadServiceModel(path: string | undefined): LoadedModel {
  if (path) return { model: MLP.fromSafetensors(path), source: path };
  return { model: trainDefaultModel(), source: 'trained at start-up on the bundled mini data (784-256-128-10, 2 epochs)' };
}
