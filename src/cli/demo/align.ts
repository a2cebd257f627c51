// Demo step: embeddings from two models. Model A is the one the train step made
// (784-128-64-10); model B is trained here with another seed and width (784-96-32-10). Their
// penultimate layers (64 and 32 dims) embed the same images in different spaces: compared
// directly, cross-model retrieval is at chance; aligned on the first half of the training images
// it finds the partner; concatenated, a linear probe beats either model alone (or ties).
import { concatFit } from '../../align/concat.js';
import { embed } from '../../align/embed.js';
import { kernelMap } from '../../align/kernel.js';
import { linearMap } from '../../align/linear.js';
import { retrieval } from '../../align/metrics.js';
import { trainProbe } from '../../align/probe.js';
import { procrustes } from '../../align/procrustes.js';
import { tagSpace } from '../../align/space.js';
import { MLP } from '../../nn/mlp.js';
import { train } from '../../nn/train.js';
import { Tensor } from '../../tensor.js';
import { padTo } from '../commands/align-vectors.js';
import { table } from '../util.js';
import type { DemoStep } from './context.js';

export const alignStep: DemoStep = {
  name: 'align',
  async run(ctx) {
    const ds = ctx.data!;
    const modelA = ctx.model!;
    const modelB = MLP.create({ sizes: [784, 96, 32, 10], activation: 'relu', seed: ctx.opts.seed + 1 });
    train(modelB, ds.train.x, ds.train.labels, { epochs: ctx.opts.epochs, batchSize: 128, lr: 1e-3, seed: ctx.opts.seed + 1, progress: true });
    const fitN = Math.min(5000, Math.floor(ds.train.x.rows / 2));
    const trainA = tagSpace(embed(modelA, ds.train.x), 'model A');
    const trainB = tagSpace(embed(modelB, ds.train.x), 'model B');
    const A = tagSpace(trainA.sliceRows(0, fitN), 'model A');
    const B = tagSpace(trainB.sliceRows(0, fitN), 'model B');
    const At = tagSpace(embed(modelA, ds.test.x), 'model A');
    const Bt = tagSpace(embed(modelB, ds.test.x), 'model B');
    ctx.log(`align: model B 784-96-32-10 (seed ${ctx.opts.seed + 1}) beside model A ${modelA.layerSizes().join('-')}; penultimate layers ${At.cols} and ${Bt.cols} dims`);

    const d = Math.max(At.cols, Bt.cols);
    const rows: (string | number)[][] = [];
    const results: Record<string, { p1: number; p10: number }> = {};
    const add = (name: string, q: Tensor, k: Tensor, metric: 'cosine' | 'csls' = 'cosine', ignoreSpaces = false) => {
      const r = retrieval(q, k, { metric, ignoreSpaces });
      rows.push([name, r.p1.toFixed(4), r.p10.toFixed(4)]);
      results[name] = { p1: r.p1, p10: r.p10 };
    };
    const direct = At.cols === Bt.cols ? 'direct (unaligned: different spaces)' : `direct (unaligned; the ${Math.min(At.cols, Bt.cols)}-dim side zero-padded to ${d})`;
    add(direct, padTo(At, d), padTo(Bt, d), 'cosine', true);
    const p = procrustes(A, B, { center: true });
    add('procrustes --center', p.apply(At), p.target(Bt));
    const l = linearMap(A, B, { ridge: 1, center: true });
    add('linear map --center', l.apply(At), l.target(Bt));
    add('linear map --center + CSLS', l.apply(At), l.target(Bt), 'csls');
    const km = kernelMap(A, B, { features: 1000 });
    add('kernel map (RFF 1000) + CSLS', km.apply(At), km.target(Bt), 'csls');
    ctx.log(`A→B retrieval over ${At.rows} test images (chance ${(1 / At.rows).toFixed(4)}), maps fit on ${fitN} training pairs:`);
    ctx.log(table(['', 'P@1', 'P@10'], rows));

    const probe = (xtr: Tensor, xte: Tensor) => trainProbe(xtr, ds.train.labels, { classes: ds.classes.length }).accuracy(xte, ds.test.labels);
    const cat = concatFit([trainA, trainB], { normalize: 'zscore' });
    const acc = { a: probe(trainA, At), b: probe(trainB, Bt), concat: probe(cat.apply([trainA, trainB]), cat.apply([At, Bt])) };
    ctx.log(`linear probe accuracy: A ${acc.a.toFixed(4)}, B ${acc.b.toFixed(4)}, [A, B] concatenated ${acc.concat.toFixed(4)}`);
    ctx.results.align = { retrieval: results, probe: acc, fitPairs: fitN, dims: [At.cols, Bt.cols] };
  },
};
