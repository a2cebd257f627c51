// The embedding normalisation MUSE and vecmap apply before mapping, step by step over the whole
// vocabulary: 'unit' scales each row to length 1, 'center' subtracts the column means. vecmap's
// recommended recipe is unit, center, unit (Artetxe et al. 2018). The result keeps X's space tag:
// normalising does not make two models' vectors comparable.

import { expected } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { centerRows, checkMatrix, unitRows } from './input.js';
import { spaceOf, tagSpace } from './space.js';

export type NormalizeStep = 'unit' | 'center';

/** Parses "unit,center,unit" (also "none" / ""). */
export function parseNormalizeSteps(v: string): NormalizeStep[] {
  if (v === '' || v === 'none') return [];
  const steps = v.split(',').map((s) => s.trim());
  for (const s of steps) if (s !== 'unit' && s !== 'center') throw expected("steps 'unit' and 'center' separated by commas (e.g. unit,center,unit)", 'normalize', v);
  return steps as NormalizeStep[];
}

/** X after each step in turn (a copy unless there are no steps). */
export function normalizeEmbeddings(X: Tensor, steps: readonly NormalizeStep[] = ['unit', 'center', 'unit']): Tensor {
  checkMatrix(X, 'normalizeEmbeddings X');
  let out = X;
  for (const s of steps) out = s === 'unit' ? unitRows(out) : centerRows(out, out.colMeans());
  const space = spaceOf(X);
  return space !== undefined && out !== X ? tagSpace(out, space) : out;
}
