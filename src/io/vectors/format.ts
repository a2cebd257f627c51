// Which vector-file format a path holds, from its extension unless told.
//
//   word2vec      text, a header line "rows dim", then "key v1 … vdim" per line (.vec; fastText's .vec too)
//   glove         text without the header (.txt: a first line of two integers is read as a header)
//   word2vec-bin  the binary word2vec layout: header line, then "key " and dim little-endian float32 per row (.bin)
//   npy           a 2-D float32/float64 .npy, keys one per line in a separate file (default <stem>.keys.txt)
//   jsonl         one JSON object per line: {"id": key, "vector": [numbers]}
//   safetensors   a 2-D tensor (default 'vectors', or the only 2-D one), keys in metadata "keys" (a
//                 JSON array of strings), in a 1-D integer tensor 'keys', or in a keys file

import { extname } from 'node:path';
import { expected } from '../../errors.js';

export const VECTOR_FORMATS = ['word2vec', 'glove', 'word2vec-bin', 'npy', 'jsonl', 'safetensors'] as const;
export type VectorFormat = (typeof VECTOR_FORMATS)[number];

const BY_EXT: Record<string, VectorFormat> = {
  '.vec': 'word2vec',
  '.txt': 'glove',
  '.bin': 'word2vec-bin',
  '.npy': 'npy',
  '.jsonl': 'jsonl',
  '.safetensors': 'safetensors',
};

/** The format named, or the one the extension says; an unknown one is an ArgumentError. */
export function formatOf(path: string, format?: string): VectorFormat {
  if (format !== undefined) {
    if (!(VECTOR_FORMATS as readonly string[]).includes(format)) throw expected(`one of ${VECTOR_FORMATS.join(', ')}`, 'vector format', format);
    return format as VectorFormat;
  }
  const f = BY_EXT[extname(path).toLowerCase()];
  if (!f) throw expected(`a vector file ending in ${Object.keys(BY_EXT).join(', ')} (or a format option)`, 'vector file', path);
  return f;
}

/** The default keys file beside a .npy / .safetensors: a.npy -> a.keys.txt. */
export function keysPathFor(path: string): string {
  const ext = extname(path);
  return `${ext ? path.slice(0, -ext.length) : path}.keys.txt`;
}

/**
 * The float32 as Python prints a numpy float32 (what gensim writes): the shortest decimal that
 * reads back as the same float32, "4.0" for integers, exponent form below 1e-4 and from 1e16.
 */
export function formatFloat32(x: number): string {
  let y = Number(x.toPrecision(9));
  for (let p = 6; p < 9; p++) {
    const t = Number(x.toPrecision(p));
    if (Math.fround(t) === x) {
      y = t;
      break;
    }
  }
  if (y === 0) return Object.is(y, -0) ? '-0.0' : '0.0';
  const a = Math.abs(x); // numpy decides on the float32 itself: float32(1e-4) < 1e-4 prints as 1e-04
  if (a >= 1e-4 && a < 1e16) {
    const s = String(y);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [m, e] = y.toExponential().split('e') as [string, string];
  const exp = Number(e);
  return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}
