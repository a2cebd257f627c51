// Keyed vector files (word vectors, item embeddings) in the formats people have them, read and
// written as streams: readVectors / writeVectors pick the format from the extension (format.ts).

import { existsSync } from 'node:fs';
import { ArgumentError, expected } from '../../errors.js';
import { writeFileAtomicWith } from '../atomic.js';
import { readBinaryVectors, writeBinaryVectors } from './binary.js';
import { formatOf, keysPathFor, type VectorFormat } from './format.js';
import { readJsonlVectors, writeJsonlVectors } from './jsonl.js';
import { npyHeader, readKeyedNpy, writeRowsF32 } from './keyed-npy.js';
import { readKeyedSafetensors, safetensorsHeader } from './keyed-safetensors.js';
import type { KeyedVectors, ReadResult } from './rows.js';
import type { Progress } from './source.js';
import { readTextVectors, writeTextVectors } from './text.js';

export { VECTOR_FORMATS, formatOf, keysPathFor, formatFloat32 } from './format.js';
export type { VectorFormat } from './format.js';
export type { KeyedVectors, ReadResult } from './rows.js';
export type { Progress } from './source.js';
export { readKeysFile } from './keyed-npy.js';

export interface ReadVectorsOptions {
  /** Default: from the extension (.vec .txt .bin .npy .jsonl .safetensors). */
  format?: VectorFormat;
  /** Read only the first N rows (word vector files list the most frequent words first, as MUSE assumes). */
  maxRows?: number;
  /** Leave bad rows out and count them instead of stopping at the first. */
  skipBad?: boolean;
  /** Called as the file is read (every 64 MiB and at the end). */
  onProgress?: Progress;
  /** npy / safetensors: the keys file (npy default: <stem>.keys.txt). */
  keys?: string;
  /** safetensors: the matrix tensor's name. */
  tensor?: string;
}

export function readVectors(path: string, opts: ReadVectorsOptions = {}): ReadResult {
  if (opts === null || typeof opts !== 'object') throw expected('an options object', 'readVectors options', opts);
  const { maxRows } = opts;
  if (maxRows !== undefined && !(Number.isInteger(maxRows) && maxRows >= 1)) throw expected('a positive integer', 'maxRows', maxRows);
  const format = formatOf(path, opts.format);
  const common = { maxRows, skipBad: !!opts.skipBad, onProgress: opts.onProgress };
  switch (format) {
    case 'word2vec':
      return readTextVectors(path, { ...common, header: true });
    case 'glove':
      return readTextVectors(path, common); // a header line of two integers is recognised
    case 'word2vec-bin':
      return readBinaryVectors(path, common);
    case 'jsonl':
      return readJsonlVectors(path, common);
    case 'npy':
      return readKeyedNpy(path, { ...common, keys: opts.keys ?? keysPathFor(path) });
    case 'safetensors':
      return readKeyedSafetensors(path, { ...common, keys: opts.keys, tensor: opts.tensor });
  }
}

export interface WriteVectorsOptions {
  format?: VectorFormat;
  /** npy: where the keys go (default <stem>.keys.txt). */
  keys?: string;
  /** Files the command read: never written over. */
  inputs?: readonly string[];
  /** safetensors: extra metadata strings. */
  metadata?: Record<string, string>;
}

/** Writes keyed vectors atomically (a temp file renamed into place), streaming in ~1 MB pieces. */
export function writeVectors(path: string, kv: KeyedVectors, opts: WriteVectorsOptions = {}): string[] {
  const format = formatOf(path, opts.format);
  const [rows] = kv.vectors.shape as [number, number];
  if (kv.vectors.rank !== 2) throw expected('a 2-D vectors tensor', 'writeVectors vectors', kv.vectors);
  if (kv.keys.length !== rows) throw new ArgumentError(`writeVectors: ${kv.keys.length} keys for ${rows} rows`);
  if (format === 'word2vec' || format === 'glove' || format === 'word2vec-bin' || format === 'npy') {
    const bad = kv.keys.findIndex((k) => k.length === 0 || /\s/.test(k));
    if (bad >= 0) throw new ArgumentError(`Cannot write key ${JSON.stringify(kv.keys[bad])} (row ${bad + 1}) to a ${format} file: keys there may not be empty or hold whitespace (use .jsonl or .safetensors)`);
  }
  const inputs = opts.inputs ?? [];
  const written = [path];
  switch (format) {
    case 'word2vec':
    case 'glove':
      writeFileAtomicWith(path, (w) => writeTextVectors(kv, w, format === 'word2vec'), { inputs });
      break;
    case 'word2vec-bin':
      writeFileAtomicWith(path, (w) => writeBinaryVectors(kv, w), { inputs });
      break;
    case 'jsonl':
      writeFileAtomicWith(path, (w) => writeJsonlVectors(kv, w), { inputs });
      break;
    case 'npy': {
      const keysPath = opts.keys ?? keysPathFor(path);
      writeFileAtomicWith(path, (w) => (w(npyHeader(rows, kv.vectors.cols)), writeRowsF32(kv, w)), { inputs });
      writeFileAtomicWith(keysPath, (w) => w(new TextEncoder().encode(kv.keys.map((k) => k + '\n').join(''))), { inputs });
      written.push(keysPath);
      break;
    }
    case 'safetensors':
      writeFileAtomicWith(path, (w) => (w(safetensorsHeader(kv, opts.metadata)), writeRowsF32(kv, w)), { inputs });
      break;
  }
  return written;
}

/** True when `path` is a .npy that has a keys file beside it (a keyed matrix, not a positional one). */
export function hasKeysFile(path: string): boolean {
  return existsSync(keysPathFor(path));
}
