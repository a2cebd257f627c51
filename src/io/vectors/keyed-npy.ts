// A 2-D float32/float64 .npy (C order) with its keys in a text file, one per line: the data is
// read row by row straight into the matrix, never the whole file at once.

import { FormatError } from '../../errors.js';
import { parseNpyHeader } from '../npy.js';
import { RowSink, type KeyedVectors, type ReadResult } from './rows.js';
import { ByteSource, type Progress } from './source.js';

export interface KeyedNpyReadOptions {
  keys: string;
  maxRows?: number;
  skipBad?: boolean;
  onProgress?: Progress;
}

/** Reads the keys file: one key per line (surrounding whitespace trimmed), `limit` at most. */
export function readKeysFile(path: string, limit = Infinity): string[] {
  const src = new ByteSource(path);
  try {
    const keys: string[] = [];
    for (let line = src.line(); line !== null && keys.length < limit; line = src.line()) keys.push(line.trim());
    return keys;
  } finally {
    src.close();
  }
}

export function readKeyedNpy(path: string, opts: KeyedNpyReadOptions): ReadResult {
  const src = new ByteSource(path, opts.onProgress);
  try {
    const pre = src.bytes(10);
    const major = pre[6];
    const hlen = pre.length < 10 ? 0 : major === 1 ? pre.readUInt16LE(8) : pre.readUInt32LE(8);
    const lenSize = major === 1 ? 2 : 4;
    const head = Buffer.alloc(8 + lenSize + hlen);
    src.seek(0);
    src.bytes(head.length).copy(head);
    const h = parseNpyHeader(head, path);
    const m = /^([<|=]?)f([48])$/.exec(h.descr);
    if (!m) throw new FormatError(`${path}: expected little-endian float32 or float64 vectors but the .npy holds dtype '${h.descr}'`);
    if (h.shape.length !== 2) throw new FormatError(`${path}: expected a 2-D array (rows × dims) but the .npy has shape [${h.shape.join(', ')}]`);
    if (h.fortran && h.shape[0]! > 1 && h.shape[1]! > 1) throw new FormatError(`${path}: a Fortran-order .npy cannot be read row by row; save it in C order (numpy.ascontiguousarray)`);
    const [rows, dim] = h.shape as [number, number];
    const size = m[2] === '4' ? 4 : 8;
    if (src.size - h.dataStart !== rows * dim * size) {
      throw new FormatError(`${path}: shape [${rows}, ${dim}] of ${h.descr} needs ${rows * dim * size} data bytes but the file has ${src.size - h.dataStart}`);
    }
    const want = Math.min(rows, opts.maxRows ?? Infinity);
    const keys = readKeysFile(opts.keys, want + 1);
    if (keys.length < want || (want === rows && keys.length > rows)) {
      throw new FormatError(`${opts.keys} has ${keys.length}${keys.length > want ? '+' : ''} keys but ${path} has ${rows} rows: line i of the keys file names row i`);
    }
    const sink = new RowSink(path, want, dim, !!opts.skipBad);
    for (let r = 0; r < want; r++) {
      const v = src.bytes(dim * size);
      const dv = new DataView(v.buffer, v.byteOffset, v.length);
      const slot = sink.slot();
      if (size === 4) for (let j = 0; j < dim; j++) slot[j] = dv.getFloat32(j * 4, true);
      else for (let j = 0; j < dim; j++) slot[j] = dv.getFloat64(j * 8, true);
      sink.commit(keys[r]!, `row ${r + 1} (line ${r + 1} of ${opts.keys})`);
    }
    return sink.result();
  } finally {
    src.close();
  }
}

/** The .npy v1 header for a [rows, dim] float32 array, padded so the data starts on 64 bytes. */
export function npyHeader(rows: number, dim: number): Uint8Array {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${dim}), }`;
  const pad = 64 - ((10 + dict.length + 1) % 64);
  const text = dict + ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(10 + text.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, text.length, true);
  for (let i = 0; i < text.length; i++) out[10 + i] = text.charCodeAt(i);
  return out;
}

/** The float32 rows as little-endian bytes, in ~1 MB pieces (views when the host is little-endian). */
export function writeRowsF32(kv: KeyedVectors, write: (b: Uint8Array) => void): void {
  const d = kv.vectors.data;
  const step = 1 << 18;
  for (let s = 0; s < d.length; s += step) {
    const part = d.subarray(s, Math.min(d.length, s + step));
    const bytes = new Uint8Array(part.length * 4);
    const dv = new DataView(bytes.buffer);
    for (let i = 0; i < part.length; i++) dv.setFloat32(i * 4, part[i]!, true);
    write(bytes);
  }
}
