// Demo steps: load the bundled data, train a small MLP on it, evaluate it.
import { loadDataset } from '../../io/datasets.js';
import { MLP } from '../../nn/mlp.js';
import { train } from '../../nn/train.js';
import { plural } from '../util.js';
import type { DemoStep } from './context.js';

export const dataStep: DemoStep = {
  name: 'data',
  async run(ctx) {
    ctx.data = loadDataset('mini');
    ctx.log(`data: bundled Fashion-MNIST subset, ${ctx.data.train.x.rows} training and ${ctx.data.test.x.rows} test images of ${ctx.data.train.x.cols} pixels, ${ctx.data.classes.length} classes`);
  },
};

export const trainStep: DemoStep = {
  name: 'train',
  async run(ctx) {
    const ds = ctx.data!;
    const model = MLP.create({ sizes: [784, 128, 64, 10], activation: 'relu', seed: ctx.opts.seed });
    const r = train(model, ds.train.x, ds.train.labels, { epochs: ctx.opts.epochs, batchSize: 128, lr: 1e-3, seed: ctx.opts.seed, progress: true });
    const last = r.epochs[r.epochs.length - 1];
    ctx.log(
      `train: 784-128-64-10 ReLU, Adam 1e-3, batch 128, ${plural(ctx.opts.epochs, 'epoch')} in ${r.seconds.toFixed(2)} s` +
        (last ? `; last epoch loss ${last.loss.toFixed(4)}, train accuracy ${last.accuracy.toFixed(4)}` : ''),
    );
    ctx.model = model;
    ctx.results.train = { layerSizes: model.layerSizes(), params: model.paramCount(), seconds: r.seconds, epochs: r.epochs };
  },
};

export const evalStep: DemoStep = {
  name: 'eval',
  async run(ctx) {
    const ds = ctx.data!;
    const m = ctx.model!;
    const ev = m.evaluate(ds.test.x, ds.test.labels);
    ctx.log(`eval: test accuracy ${ev.accuracy.toFixed(4)}, loss ${ev.loss.toFixed(4)} on ${ds.test.x.rows} held-out images (${m.paramCount()} parameters)`);
    const x = ds.test.x.data.slice(0, 784);
    m.predictOne(x);
    const reps = 200;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) m.predictOne(x);
    const us = ((performance.now() - t0) / reps) * 1000;
    ctx.log(`predictOne: ${us.toFixed(1)} µs per image (mean of ${reps})`);
    ctx.results.eval = { ...ev, predictOneMicros: us };
  },
};
