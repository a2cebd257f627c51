// `trimnet align a.vec b.vec --dict train.txt --eval test.txt`: the vector-file mode of align.
// Rows are keyed (words, item ids); the map is fit on dictionary pairs (or on the keys both files
// share, minus the held-out sources) and measured as MUSE does: P@1/5/10 of word translation over
// B's whole vocabulary, by cosine and by CSLS, beside the direct (unaligned) baseline.
import { extname } from 'node:path';
import { cca } from '../../align/cca.js';
import { gatherPairs, pairByDictionary, pairByKeys, readDictionary, type Coverage } from '../../align/dictionary.js';
import { kernelMap } from '../../align/kernel.js';
import { linearMap } from '../../align/linear.js';
import { normalizeEmbeddings, parseNormalizeSteps } from '../../align/normalize.js';
import { procrustes } from '../../align/procrustes.js';
import { refineProcrustes } from '../../align/refine.js';
import { tagSpace } from '../../align/space.js';
import { translationAccuracy, type TranslationResult } from '../../align/translation.js';
import { DataError, expected } from '../../errors.js';
import { writeSafetensors } from '../../io/safetensors.js';
import { readVectors, writeVectors, type ReadResult } from '../../io/vectors/index.js';
import { Tensor } from '../../tensor.js';
import { printJson, table, writeOutput } from '../util.js';

export const VECTOR_METHODS = ['procrustes', 'cca', 'linear', 'kernel'] as const;

/** The options only the vector-file mode has. */
export interface VectorFileOpts {
  dict?: string;
  refine: number;
  maxRank: number;
  maxRows?: number;
  skipBad?: boolean;
  lowercase?: boolean;
  norm: string;
  keysA?: string;
  keysB?: string;
  aligned?: string;
}

export interface AlignVectorsOpts extends VectorFileOpts {
  method: string;
  evalDict?: string;
  k: number;
  kExplicit: boolean;
  ridge?: number;
  weighted?: boolean;
  center?: boolean;
  features: number;
  gamma: number;
  seed: number;
  out?: string;
  json?: boolean;
}

interface Mapped {
  label: string;
  Q: Tensor; // A's rows in the shared space
  K: Tensor; // B's rows in the shared space
  tensors: Record<string, Tensor>;
  targetChanged: boolean;
}

function load(path: string, keys: string | undefined, o: AlignVectorsOpts): ReadResult {
  const big = 64 << 20;
  return readVectors(path, {
    maxRows: o.maxRows,
    skipBad: o.skipBad,
    keys,
    onProgress: (done, total) => {
      if (total >= big) process.stderr.write(`reading ${path}: ${((100 * done) / total).toFixed(0)}%\n`);
    },
  });
}

/** Zero-pads the narrower side so the two can be compared at all (the unaligned baseline). */
export function padTo(t: Tensor, d: number): Tensor {
  if (t.cols === d) return t;
  const out = new Float32Array(t.rows * d);
  for (let i = 0; i < t.rows; i++) out.set(t.data.subarray(i * t.cols, (i + 1) * t.cols), i * d);
  return new Tensor(out, [t.rows, d]);
}

const cov = (c: Coverage) => `${c.found} of ${c.pairs} pairs found (${c.sourcesFound} of ${c.sources} source words; ${c.missingSrc} sources and ${c.missingTgt} targets missing)`;

export function alignVectors(fileA: string, fileB: string, o: AlignVectorsOpts): void {
  const methods = o.method.split(',').map((m) => m.trim());
  for (const m of methods) if (!(VECTOR_METHODS as readonly string[]).includes(m)) throw expected(`one or more of ${VECTOR_METHODS.join(', ')} (comma-separated) for vector files`, '--method', o.method);
  const steps = parseNormalizeSteps(o.norm);
  const a = load(fileA, o.keysA, o);
  const b = load(fileB, o.keysB, o);
  const A = tagSpace(normalizeEmbeddings(a.vectors, steps), `A (${fileA})`);
  const B = tagSpace(normalizeEmbeddings(b.vectors, steps), `B (${fileB})`);

  const evalDict = o.evalDict ? pairByDictionary(a.keys, b.keys, readDictionary(o.evalDict), { lowercase: o.lowercase }) : null;
  const heldOut = new Set<string>();
  if (evalDict) for (const s of evalDict.src) heldOut.add(o.lowercase ? a.keys[s]!.toLowerCase() : a.keys[s]!);
  const train = o.dict ? pairByDictionary(a.keys, b.keys, readDictionary(o.dict), { lowercase: o.lowercase }) : pairByKeys(a.keys, b.keys, { lowercase: o.lowercase, exclude: heldOut });
  if (train.src.length < 2) throw new DataError(`Only ${train.src.length} training pairs were found in both files (${o.dict ? `${o.dict}: ${cov(train.coverage)}` : 'shared keys'}); at least 2 are needed`);
  if (evalDict && evalDict.src.length === 0) throw new DataError(`No pair of the eval dictionary ${o.evalDict} is in both files: ${cov(evalDict.coverage)}`);

  const [fa, fb] = gatherPairs(A, B, train);
  const mapped: Mapped[] = [];
  const t0 = performance.now();
  for (const m of methods) {
    if (m === 'procrustes') {
      const p = procrustes(fa, fb, { center: !!o.center });
      mapped.push({ label: 'procrustes', Q: p.apply(A), K: p.target(B), tensors: p.tensors(), targetChanged: !!o.center });
      if (o.refine > 0) {
        const r = refineProcrustes(A, B, train, { iterations: o.refine, maxRank: o.maxRank, center: !!o.center });
        mapped.push({ label: `procrustes + refine ${o.refine} (dictionaries ${r.sizes.join('/')})`, Q: r.map.apply(A), K: r.map.target(B), tensors: r.map.tensors(), targetChanged: !!o.center });
      }
    } else if (m === 'cca') {
      const k = o.kExplicit ? o.k : Math.min(o.k, A.cols, B.cols, train.src.length - 1);
      const c = cca(fa, fb, { k, ridge: o.ridge ?? 1e-6, weighted: !!o.weighted });
      mapped.push({ label: `cca k=${k}${o.weighted ? ' weighted' : ''}`, Q: c.applyX(A), K: c.applyY(B), tensors: c.tensors(), targetChanged: true });
    } else if (m === 'linear') {
      const l = linearMap(fa, fb, { ridge: o.ridge ?? 1e-3, center: !!o.center });
      mapped.push({ label: `linear (ridge ${o.ridge ?? 1e-3})`, Q: l.apply(A), K: l.target(B), tensors: l.tensors(), targetChanged: !!o.center });
    } else {
      const km = kernelMap(fa, fb, { features: o.features, gamma: o.gamma, ridge: o.ridge ?? 0.1, seed: o.seed });
      mapped.push({ label: `kernel D=${o.features}`, Q: km.apply(A), K: km.target(B), tensors: km.tensors(), targetChanged: false });
    }
  }
  const fitSeconds = (performance.now() - t0) / 1000;

  const both = (Q: Tensor, K: Tensor, ignoreSpaces = false) =>
    evalDict ? { cosine: translationAccuracy(Q, K, evalDict, { ignoreSpaces }), csls: translationAccuracy(Q, K, evalDict, { ignoreSpaces, metric: 'csls' }) } : null;
  const d = Math.max(A.cols, B.cols);
  const direct = both(padTo(A, d), padTo(B, d), true);
  const scores = mapped.map((m) => ({ method: m.label, ...both(m.Q, m.K) }));

  const final = mapped[mapped.length - 1]!;
  const written: string[] = [];
  if (o.aligned) {
    written.push(...writeVectors(o.aligned, { keys: a.keys, vectors: final.Q }, { inputs: [fileA, fileB] }));
    if (final.targetChanged) {
      const ext = extname(o.aligned);
      const tgt = `${o.aligned.slice(0, o.aligned.length - ext.length)}.target${ext}`;
      written.push(...writeVectors(tgt, { keys: b.keys, vectors: final.K }, { inputs: [fileA, fileB, o.aligned] }));
    }
  }
  if (o.out) {
    const metadata = { method: final.label, a: fileA, b: fileB, normalize: steps.join(',') || 'none', dict: o.dict ?? 'shared keys' };
    writeOutput(o.out, writeSafetensors(final.tensors, { metadata }), [fileA, fileB]);
    written.push(o.out);
  }

  const skipped = { a: a.skipped, b: b.skipped };
  const out = { a: fileA, b: fileB, rows: [a.keys.length, b.keys.length], dims: [A.cols, B.cols], normalize: steps, train: train.coverage, eval: evalDict?.coverage ?? null, skipped, direct, methods: scores, fitSeconds, written };
  if (o.json) return printJson(out);

  console.log(`A: ${fileA} (${a.keys.length} × ${A.cols})  B: ${fileB} (${b.keys.length} × ${B.cols})  normalised: ${steps.join(', ') || 'no'}`);
  if (a.skipped || b.skipped) console.log(`bad rows skipped: ${a.skipped} in A, ${b.skipped} in B (first: ${[...a.skippedExamples, ...b.skippedExamples][0]})`);
  console.log(`train: ${o.dict ? `${o.dict}: ${cov(train.coverage)}` : `${train.src.length} keys shared by A and B${evalDict ? ' (eval sources left out)' : ''}`}`);
  if (!evalDict || !direct) {
    console.log('no --eval dictionary: nothing measured');
  } else {
    console.log(`eval: ${o.evalDict}: ${cov(evalDict.coverage)}; each query ranks all ${b.keys.length} rows of B`);
    const f = (r: TranslationResult) => [r.p1.toFixed(4), r.p5.toFixed(4), r.p10.toFixed(4)];
    console.log(table(['', 'cos P@1', 'P@5', 'P@10', 'CSLS P@1', 'P@5', 'P@10'], [
      [`direct (unaligned${A.cols !== B.cols ? ', narrower side zero-padded' : ''})`, ...f(direct.cosine), ...f(direct.csls)],
      ...scores.map((s) => [s.method, ...f(s.cosine!), ...f(s.csls!)]),
    ]));
  }
  for (const w of written) console.log(`written: ${w}`);
}
