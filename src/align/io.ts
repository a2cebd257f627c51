// Reading embeddings from .npy for the align/embed commands: a 2-D float32 or float64 array of
// finite numbers (other dtypes are labels or pixels, not embeddings: a clear FormatError).

import { basename } from 'node:path';
import { FormatError } from '../errors.js';
import { readNpy } from '../io/npy.js';
import { Tensor } from '../tensor.js';
import { checkMatrix } from './input.js';
import { tagSpace } from './space.js';

/** Reads a 2-D float32/float64 .npy as a float32 Tensor tagged with the space `space ?? file name`. */
export function readEmbeddings(path: string, space?: string): Tensor {
  const name = basename(path);
  const a = readNpy(path);
  if (!(a.data instanceof Float32Array || a.data instanceof Float64Array)) {
    throw new FormatError(`Expected float32 or float64 embeddings in ${name} but received dtype '${a.dtype}' (shape [${a.shape.join(', ')}])`);
  }
  if (a.shape.length !== 2) throw new FormatError(`Expected a 2-D array (rows × dims) of embeddings in ${name} but received shape [${a.shape.join(', ')}]`);
  const t = new Tensor(a.data instanceof Float32Array ? a.data : Float32Array.from(a.data), a.shape);
  checkMatrix(t, name);
  return tagSpace(t, space ?? name);
}
