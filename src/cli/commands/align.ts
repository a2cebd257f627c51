// `trimnet align a.npy b.npy`: fit a map from A's space to B's on the --fit rows (row i of a.npy
// and row i of b.npy embed the same item) and measure cross-model retrieval on the --eval rows,
// always beside the direct (unaligned) baseline. --method concat measures a linear probe on A, B
// and [A, B] instead (labels: --labels, else the a.labels.npy that `trimnet embed` wrote).
// Defaults fit together with `embed`'s: fit on the first half of the rows, evaluate on the rest.
// Keyed vector files (.vec .txt .bin .jsonl .safetensors, or .npy with --dict / --keys-a) go to
// the vector-file mode in align-vectors.ts.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { cca } from '../../align/cca.js';
import { concatFit, type ConcatNormalize } from '../../align/concat.js';
import { readEmbeddings } from '../../align/io.js';
import { kernelMap } from '../../align/kernel.js';
import { kernelRidge } from '../../align/krr.js';
import { linearMap } from '../../align/linear.js';
import { retrieval, type RetrievalMetric, type RetrievalResult } from '../../align/metrics.js';
import { trainProbe } from '../../align/probe.js';
import { procrustes } from '../../align/procrustes.js';
import { sliceSpace } from '../../align/space.js';
import { DataError, ShapeError, expected } from '../../errors.js';
import { readNpy } from '../../io/npy.js';
import { writeSafetensors } from '../../io/safetensors.js';
import { Tensor } from '../../tensor.js';
import { checkOutputs, intOption, numberOption, printJson, table, writeOutput } from '../util.js';
import { alignVectors, padTo, type VectorFileOpts } from './align-vectors.js';
import { labelsPath } from './embed.js';

const METHODS = ['procrustes', 'cca', 'linear', 'kernel', 'concat'] as const;
type Method = (typeof METHODS)[number];

interface AlignOpts extends VectorFileOpts {
  method: string;
  center?: boolean;
  normalize?: boolean;
  k?: number;
  ridge?: number;
  weighted?: boolean;
  metric: string;
  features: number;
  exact?: boolean;
  gamma: number;
  seed: number;
  concatNorm: string;
  labels?: string;
  fit?: string;
  eval?: string;
  out?: string;
  json?: boolean;
}

/**
 * "0:5000", "5000:", ":100", "-1000:" → [start, end) within n rows (Python slice rules, step 1),
 * except that a bound beyond the rows is refused, not silently cut.
 */
export function parseRange(v: string, n: number, name: string): [number, number] {
  const m = /^\s*(-?\d*)\s*:\s*(-?\d*)\s*$/.exec(v);
  if (!m) throw expected('a row range start:end such as 0:5000 or 5000:', name, v);
  const fix = (s: string, dflt: number) => {
    if (s === '') return dflt;
    const x = Number(s);
    if (x > n || x < -n) throw new DataError(`${name} ${v} reaches row ${x} but the embeddings have ${n} rows (bounds go from -${n} to ${n})`);
    return x < 0 ? n + x : x;
  };
  const s = fix(m[1]!, 0);
  const e = fix(m[2]!, n);
  if (e < s) throw expected('a row range with start ≤ end', name, v);
  return [s, e];
}

function readLabels(path: string): Int32Array {
  const a = readNpy(path);
  if (a.data instanceof Float32Array || a.data instanceof Float64Array) {
    throw expected('integer class labels', path, `dtype '${a.dtype}'`);
  }
  if (a.shape.length !== 1) throw expected('a 1-D array of labels', path, `shape [${a.shape.join(', ')}]`);
  return Int32Array.from(a.data as ArrayLike<number | bigint>, Number);
}

const fmt = (r: RetrievalResult) => [r.p1.toFixed(4), r.p5.toFixed(4), r.p10.toFixed(4)];

export function register(program: Command): void {
  program
    .command('align')
    .description('align embeddings of model A to model B (or concatenate them) and measure the result against the unaligned baseline')
    .argument('<a>', "model A's embeddings: .npy [items, dims], or a keyed vector file (.vec .txt .bin .jsonl .safetensors)")
    .argument('<b>', "model B's embeddings: the same items in the same order (.npy), or a keyed vector file")
    .option('--method <name>', `${METHODS.join(', ')}; vector files: a comma-separated list of procrustes, cca, linear, kernel`, 'procrustes')
    .option('--center', 'centre each side with its fit-set mean (procrustes, linear)')
    .option('--normalize', 'procrustes: unit-length rows, centre, unit-length again (vecmap)')
    .option('--k <n>', 'cca: shared dimensions (default 32, capped at the rank of the data, with a note)', intOption('--k'))
    .option('--weighted', 'cca: weight the shared dimensions by their correlations')
    .option('--ridge <r>', 'relative ridge for every method, as for prune --reconstruct: λ = r × the mean diagonal of the matrix it regularises (linear: XᵀX, default 1e-6, which keeps dead ReLU units from making least squares singular; cca: each covariance, default 1e-6; kernel: the feature Gram matrix, default 0.04 ≈ an absolute 0.1 at 5,000 fit rows and 2,000 features; kernel --exact: K, whose mean diagonal is 1, default 0.1)', numberOption('--ridge', { min: 0 }))
    .option('--features <n>', 'kernel: random Fourier features', intOption('--features'), 2000)
    .option('--exact', 'kernel: exact kernel ridge regression (n×n kernel) instead of random features')
    .option('--gamma <g>', 'kernel: relative RBF width', numberOption('--gamma', { min: 0 }), 2)
    .option('--seed <n>', 'kernel: random features seed', intOption('--seed', { min: 0 }), 0)
    .option('--concat-norm <name>', 'concat: l2, zscore or none', 'l2')
    .option('--labels <file>', "concat: integer class labels (.npy) of the rows, for the probe (default: a's labels file from trimnet embed, a.labels.npy)")
    .option('--metric <name>', 'retrieval score: cosine or csls (k = 10)', 'cosine')
    .option('--fit <range>', 'rows to fit on, start:end (default: the first half)')
    .option('--eval <range>', 'rows to evaluate on, start:end (default: the rows after the fit rows, or the second half); vector files: a held-out dictionary ("src tgt" lines)')
    .option('--out <file>', 'write the fitted map (.safetensors)')
    .option('--json', 'print the result as JSON')
    .option('--dict <file>', 'vector files: training dictionary, "src tgt" per line (default: the keys both files share, minus the eval sources)')
    .option('--refine <n>', 'vector files, procrustes: rounds of refinement by mutual CSLS nearest neighbours (MUSE)', intOption('--refine', { min: 0 }), 0)
    .option('--max-rank <n>', 'vector files: rows of each side the refinement induces pairs from (most frequent first)', intOption('--max-rank', { min: 2 }), 15000)
    .option('--max-rows <n>', 'vector files: read only the first N rows of each file (the most frequent words)', intOption('--max-rows'))
    .option('--skip-bad', 'vector files: leave malformed rows out (and count them) instead of stopping')
    .option('--lowercase', 'vector files: match keys and dictionary words case-insensitively')
    .option('--norm <steps>', "vector files: normalisation of both sides before fitting: steps 'unit' and 'center', or 'none'", 'unit,center,unit')
    .option('--keys-a <file>', 'vector files: keys of A, one per line (.npy default: <stem>.keys.txt; .safetensors default: its metadata)')
    .option('--keys-b <file>', 'vector files: keys of B')
    .option('--aligned <file>', "vector files: write A's vectors mapped into the shared space (format from the extension; B's side to <stem>.target<ext> when the method changes it)")
    .action((fileA: string, fileB: string, o: AlignOpts, cmd: Command) => {
      const npy = (f: string) => f.toLowerCase().endsWith('.npy');
      if (!(npy(fileA) && npy(fileB)) || o.dict || o.keysA || o.keysB) {
        // Typed by the user (commander reports undefined for an option without a default that was not given).
        const given = (name: string) => { const src = cmd.getOptionValueSource(name); return src !== undefined && src !== 'default'; };
        return alignVectors(fileA, fileB, { ...o, k: o.k ?? 32, evalDict: given('eval') ? o.eval : undefined, kExplicit: given('k') });
      }
      if (!(METHODS as readonly string[]).includes(o.method)) throw expected(`one of ${METHODS.join(', ')}`, '--method', o.method);
      if (o.metric !== 'cosine' && o.metric !== 'csls') throw expected("'cosine' or 'csls'", '--metric', o.metric);
      const method = o.method as Method;
      const metric = o.metric as RetrievalMetric;
      checkOutputs([o.out], [fileA, fileB]);
      const A = readEmbeddings(fileA, `A (${fileA})`);
      const B = readEmbeddings(fileB, `B (${fileB})`);
      if (A.rows !== B.rows) throw new ShapeError(`${fileA} has ${A.rows} rows but ${fileB} has ${B.rows}: row i of each must embed the same item`);
      const half = Math.floor(A.rows / 2);
      const [fs, fe] = o.fit !== undefined ? parseRange(o.fit, A.rows, '--fit') : [0, half];
      const [es, ee] = o.eval !== undefined ? parseRange(o.eval, A.rows, '--eval') : o.fit !== undefined && fe < A.rows ? [fe, A.rows] : [half, A.rows];
      if (fe - fs < 2) throw new DataError(`The fit range ${o.fit ?? `${fs}:${fe} (the first half, by default)`} selects ${fe - fs} of ${A.rows} rows; at least 2 are needed (--fit)`);
      if (ee - es < 1) throw new DataError(`The eval range ${o.eval ?? `${es}:${ee} (by default)`} selects no rows of ${A.rows} (--eval)`);
      const Af = sliceSpace(A, fs, fe);
      const Bf = sliceSpace(B, fs, fe);
      const Ae = sliceSpace(A, es, ee);
      const Be = sliceSpace(B, es, ee);
      const overlap = Math.max(0, Math.min(fe, ee) - Math.max(fs, es));
      const base = { method, a: fileA, b: fileB, dims: [A.cols, B.cols], fit: [fs, fe], eval: [es, ee], overlap };
      const t0 = performance.now();

      if (method === 'concat') {
        const labelsFile = o.labels ?? labelsPath(fileA);
        if (o.labels === undefined && !existsSync(labelsFile)) throw new DataError(`--method concat needs class labels: give --labels labels.npy, or embed with trimnet embed, which writes ${labelsFile} beside ${fileA}`);
        const labels = readLabels(labelsFile);
        if (labels.length !== A.rows) throw new ShapeError(`${labelsFile} has ${labels.length} labels but the embeddings have ${A.rows} rows`);
        if (!['l2', 'zscore', 'none'].includes(o.concatNorm)) throw expected("'l2', 'zscore' or 'none'", '--concat-norm', o.concatNorm);
        const yf = labels.subarray(fs, fe);
        const ye = labels.subarray(es, ee);
        const probe = (xf: Tensor, xe: Tensor) => trainProbe(xf, yf, { classes: Math.max(...labels) + 1 }).accuracy(xe, ye);
        const accA = probe(Af, Ae);
        const accB = probe(Bf, Be);
        const cat = concatFit([Af, Bf], { normalize: o.concatNorm as ConcatNormalize });
        const accAB = probe(cat.apply([Af, Bf]), cat.apply([Ae, Be]));
        const seconds = (performance.now() - t0) / 1000;
        const out = { ...base, labels: labelsFile, normalize: o.concatNorm, probe: { a: accA, b: accB, concat: accAB }, seconds };
        if (o.json) return printJson(out);
        console.log(`linear probe trained on rows ${fs}:${fe}, accuracy on rows ${es}:${ee}${overlap ? ` (${overlap} rows overlap the fit set)` : ''}`);
        console.log(table(['embeddings', 'dims', 'accuracy'], [
          ['A alone', A.cols, accA.toFixed(4)],
          ['B alone', B.cols, accB.toFixed(4)],
          [`[A, B] (${o.concatNorm})`, A.cols + B.cols, accAB.toFixed(4)],
        ]));
        return;
      }

      const d = Math.max(A.cols, B.cols);
      const direct = retrieval(padTo(Ae, d), padTo(Be, d), { metric, ignoreSpaces: true });
      let Q: Tensor;
      let K: Tensor;
      let tensors: Record<string, Tensor>;
      const extra: Record<string, unknown> = {};
      const notes: string[] = [];
      let k = o.k;
      if (method === 'procrustes') {
        const m = procrustes(Af, Bf, { center: !!o.center, normalize: !!o.normalize });
        [Q, K, tensors] = [m.apply(Ae), m.target(Be), m.tensors()];
        extra.scale = m.scale;
      } else if (method === 'cca') {
        // The default k is capped at what the data allow; a k the user typed is taken as asked.
        const m = cca(Af, Bf, { k: o.k ?? 32, capK: o.k === undefined, ridge: o.ridge ?? 1e-6, weighted: !!o.weighted });
        [Q, K] = m.transform(Ae, Be);
        tensors = m.tensors();
        k = m.correlations.length;
        extra.k = k;
        if (o.k === undefined && k < 32) notes.push(`cca: k = ${k}, the rank of the fit data (the default 32 capped; --k sets it)`);
        extra.correlations = Array.from(m.correlations.subarray(0, Math.min(8, k)));
      } else if (method === 'linear') {
        const m = linearMap(Af, Bf, { ridge: o.ridge ?? 1e-6, ridgeScale: 'relative', center: !!o.center });
        [Q, K, tensors] = [m.apply(Ae), m.target(Be), m.tensors()];
      } else if (o.exact) {
        const m = kernelRidge(Af, Bf, { gamma: o.gamma, ridge: o.ridge ?? 0.1 });
        [Q, K, tensors] = [m.apply(Ae), m.target(Be), m.tensors()];
      } else {
        const m = kernelMap(Af, Bf, { features: o.features, gamma: o.gamma, ridge: o.ridge ?? 0.04, ridgeScale: 'relative', seed: o.seed });
        [Q, K, tensors] = [m.apply(Ae), m.target(Be), m.tensors()];
      }
      const fitSeconds = (performance.now() - t0) / 1000;
      const aligned = retrieval(Q, K, { metric });
      if (o.out) {
        const metadata: Record<string, string> = { method, fit: `${fs}:${fe}`, a: fileA, b: fileB, options: JSON.stringify({ center: !!o.center, normalize: !!o.normalize, k, ridge: o.ridge, weighted: !!o.weighted, features: o.features, exact: !!o.exact, gamma: o.gamma, seed: o.seed }) };
        writeOutput(o.out, writeSafetensors(tensors, { metadata }), [fileA, fileB]);
      }
      const out = { ...base, metric, direct, aligned, fitSeconds, ...extra, ...(notes.length ? { notes } : {}), ...(o.out ? { out: o.out } : {}) };
      if (o.json) return printJson(out);
      for (const n of notes) console.log(n);
      console.log(`A→B retrieval over ${ee - es} items (rows ${es}:${ee}), fit on rows ${fs}:${fe}${overlap ? ` (${overlap} rows overlap)` : ''}, ${metric}`);
      const label = method + (o.center ? ' --center' : '') + (o.normalize ? ' --normalize' : '') + (method === 'cca' ? ` k=${k}${o.weighted ? ' weighted' : ''}` : '') + (method === 'kernel' ? (o.exact ? ' --exact' : ` D=${o.features}`) : '');
      console.log(table(['', 'P@1', 'P@5', 'P@10'], [
        [`direct (unaligned${A.cols !== B.cols ? ', narrower side zero-padded' : ''})`, ...fmt(direct)],
        [label, ...fmt(aligned)],
      ]));
      if (o.out) console.log(`map written to ${o.out}`);
    });
}
