// Orthogonal Procrustes: the orthogonal R minimising ||A·R − B||_F, as
// scipy.linalg.orthogonal_procrustes(A, B) computes it:
//
//   M = Aᵀ·B  (d1×d2),  M = U·diag(S)·Vᵀ  (thin SVD),  R = U·Vᵀ,  scale = Σ S
//
// A [n×d1] and B [n×d2] are paired row by row. With the default options the result is exactly
// scipy's (which needs d1 = d2). Extensions:
// - center: subtract each side's column means over the fit set; apply() subtracts A's fit mean
//   again, and target() subtracts B's, so both land in the same centred space.
// - normalize: the vecmap recipe on both sides: rows to unit length, centre (fit-set mean of the
//   unit rows), rows to unit length again; apply()/target() repeat it with the fit-set means.
// - d1 ≠ d2: R = U·Vᵀ from the thin SVD is d1×d2 and semi-orthogonal (orthonormal columns when
//   d1 ≥ d2, orthonormal rows when d1 < d2): the best map with that property, the same formula.

import { DataError, expected } from '../errors.js';
import { svd } from '../ops.js';
import { Tensor } from '../tensor.js';
import { gemm64, matToTensor } from '../linalg/mat.js';
import { centerRows, checkMatrix, checkSameRows, unitRows } from './input.js';
import { assertInputSpace, newSpace, spaceOf, tagSpace } from './space.js';
import { matmul } from '../ops.js';

export interface ProcrustesOptions {
  center?: boolean;
  normalize?: boolean;
}

export interface ProcrustesResult {
  /** d1×d2, orthogonal (semi-orthogonal when d1 ≠ d2). */
  R: Tensor;
  /** Sum of the singular values of Aᵀ·B (scipy's `scale`). */
  scale: number;
  /** Fit-set column means subtracted from each side (after the first unit step with normalize), or null. */
  meanA: Float32Array | null;
  meanB: Float32Array | null;
  /** The space apply() and target() return. */
  space: string;
  /** Source embeddings into the shared space: prepare like A was (centre/normalise), then ·R. */
  apply(X: Tensor): Tensor;
  /** Target embeddings into the shared space: prepared like B was (identity with default options). */
  target(Y: Tensor): Tensor;
  /** What a saved map holds: R, and meanA/meanB when the fit centred. */
  tensors(): Record<string, Tensor>;
}

/** The preparation one side gets: identity, centring, or unit → centre → unit. */
function prepare(x: Tensor, mean: Float32Array | null, normalize: boolean): Tensor {
  if (normalize) return unitRows(centerRows(unitRows(x), mean!));
  if (mean) return centerRows(x, mean);
  return x;
}

export function procrustes(A: Tensor, B: Tensor, opts: ProcrustesOptions = {}): ProcrustesResult {
  if (opts === null || typeof opts !== 'object') throw expected('an options object', 'procrustes options', opts);
  // The finite check runs on Aᵀ·B (d1×d2) instead of on A and B (n×d each, 4 % of a 100,000×768
  // fit): a NaN or ±Infinity in either always makes the product non-finite.
  checkMatrix(A, 'procrustes A', { finite: false });
  checkMatrix(B, 'procrustes B', { finite: false });
  checkSameRows(A, B, 'procrustes A', 'procrustes B');
  const center = opts.center ?? false;
  const normalize = opts.normalize ?? false;
  const spaceA = spaceOf(A);
  const spaceB = spaceOf(B);

  let meanA: Float32Array | null = null;
  let meanB: Float32Array | null = null;
  let a = A;
  let b = B;
  if (normalize) {
    a = unitRows(A);
    b = unitRows(B);
    meanA = a.colMeans();
    meanB = b.colMeans();
    a = unitRows(centerRows(a, meanA));
    b = unitRows(centerRows(b, meanB));
  } else if (center) {
    meanA = A.colMeans();
    meanB = B.colMeans();
    a = centerRows(A, meanA);
    b = centerRows(B, meanB);
  }

  const m = gemm64(a, b, true, false); // Aᵀ·B, d1×d2
  if (!m.data.every(Number.isFinite)) {
    checkMatrix(A, 'procrustes A'); // throws, naming the first bad value
    checkMatrix(B, 'procrustes B');
    throw new DataError(`procrustes: Aᵀ·B overflows float32 (the inputs are finite but too large: scale them down)`);
  }
  const { U, S, V } = svd(matToTensor(m));
  const R = matmul(U, V, { transB: true });
  let scale = 0;
  for (const s of S) scale += s;

  const prepared = normalize || center;
  const space = prepared ? newSpace(`procrustes(${spaceB ?? 'B'})`) : (spaceB ?? newSpace('procrustes'));
  const apply = (X: Tensor): Tensor => {
    checkMatrix(X, 'procrustes apply() input', { allowEmpty: true });
    if (X.cols !== R.rows) throw expected(`a matrix with ${R.rows} columns (the fit's A width)`, 'procrustes apply() input', `shape [${X.shape.join(', ')}]`);
    assertInputSpace(X, spaceA, 'This Procrustes map');
    return tagSpace(matmul(prepare(X, meanA, normalize), R), space);
  };
  const target = (Y: Tensor): Tensor => {
    checkMatrix(Y, 'procrustes target() input', { allowEmpty: true });
    if (Y.cols !== R.cols) throw expected(`a matrix with ${R.cols} columns (the fit's B width)`, 'procrustes target() input', `shape [${Y.shape.join(', ')}]`);
    assertInputSpace(Y, spaceB, 'The target side of this Procrustes map');
    return tagSpace(prepared ? prepare(Y, meanB, normalize) : Y.clone(), space);
  };
  const tensors = (): Record<string, Tensor> => ({
    R,
    ...(meanA ? { meanA: new Tensor(meanA, [meanA.length]) } : {}),
    ...(meanB ? { meanB: new Tensor(meanB, [meanB.length]) } : {}),
  });
  return { R, scale, meanA, meanB, space, apply, target, tensors };
}
