// Embeddings from a trained MLP: the activations of one hidden layer (after its activation).
// layer −1 is the last hidden layer (the penultimate layer of the network), −2 the one before,
// 0 the first hidden layer.

import { ArgumentError, expected } from '../errors.js';
import { forwardRows } from '../nn/forward.js';
import type { MLP } from '../nn/mlp.js';
import { Tensor } from '../tensor.js';

/** Resolves a possibly negative hidden-layer index to 0..hidden−1. */
export function hiddenLayerIndex(mlp: MLP, layer: number): number {
  const hidden = mlp.layers.length - 1;
  if (hidden < 1) throw new ArgumentError(`The model ${mlp.layerSizes().join('-')} has no hidden layer to take embeddings from`);
  if (!Number.isInteger(layer) || layer < -hidden || layer >= hidden) {
    throw expected(`a hidden layer index in [${-hidden}, ${hidden - 1}] (−1 = last hidden layer)`, 'layer', layer);
  }
  return layer < 0 ? hidden + layer : layer;
}

/** Activations of hidden layer `layer` for every row of x: [rows, width of that layer]. */
export function embed(mlp: MLP, x: Tensor, opts: { layer?: number; batchSize?: number } = {}): Tensor {
  const li = hiddenLayerIndex(mlp, opts.layer ?? -1);
  const xs = mlp.checkInput(x);
  const batch = opts.batchSize ?? 1024;
  const width = mlp.layers[li]!.weight.shape[0]!;
  const out = new Float32Array(xs.rows * width);
  for (let s = 0; s < xs.rows; s += batch) {
    const rows = Math.min(batch, xs.rows - s);
    forwardRows(mlp, xs.data.subarray(s * xs.cols, (s + rows) * xs.cols), rows, { upTo: li + 1, out: [...new Array<undefined>(li), out.subarray(s * width, (s + rows) * width)] });
  }
  return new Tensor(out, [xs.rows, width]);
}
