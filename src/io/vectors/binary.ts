// The binary word2vec layout (Mikolov's word2vec.c, gensim binary=True): a text header line
// "rows dim\n", then per row the key's UTF-8 bytes, one space, and dim little-endian float32.
// word2vec.c writes a '\n' after each vector, gensim 4 does not; the reader takes both (whitespace
// before a key is skipped) and the writer follows gensim.

import { FormatError } from '../../errors.js';
import { RowSink, tokens, type KeyedVectors, type ReadResult } from './rows.js';
import { ByteSource, type Progress } from './source.js';

export interface BinaryReadOptions {
  maxRows?: number;
  skipBad?: boolean;
  onProgress?: Progress;
}

export function readBinaryVectors(path: string, opts: BinaryReadOptions = {}): ReadResult {
  const src = new ByteSource(path, opts.onProgress);
  try {
    const head = src.line();
    const t = tokens(head ?? '');
    if (t.length !== 2 || !/^\d+$/.test(t[0]!) || !/^\d+$/.test(t[1]!) || Number(t[1]) < 1) {
      throw new FormatError(`${path} line 1: expected the binary word2vec header "rows dim" but found ${JSON.stringify((head ?? '').slice(0, 80))}`);
    }
    const promised = Number(t[0]);
    const dim = Number(t[1]);
    const sink = new RowSink(path, Math.min(promised, opts.maxRows ?? Infinity), dim, !!opts.skipBad);
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let row = 0;
    while (!sink.full && row < promised) {
      const at = src.offset;
      const where = `row ${row + 1} (byte ${at})`;
      const keyBytes = src.until(32);
      if (keyBytes === null) {
        throw new FormatError(`${path} ${where}: the file ends after ${row} rows but its header says ${promised}`);
      }
      let key: string;
      try {
        key = decoder.decode(keyBytes);
      } catch {
        throw new FormatError(`${path} ${where}: the key is not UTF-8 (is this a binary word2vec file?)`);
      }
      const v = src.bytes(dim * 4);
      if (v.length < dim * 4) throw new FormatError(`${path} ${where}: the file ends inside the vector of ${JSON.stringify(key)}`);
      const slot = sink.slot();
      const dv = new DataView(v.buffer, v.byteOffset, v.length);
      for (let j = 0; j < dim; j++) slot[j] = dv.getFloat32(j * 4, true);
      sink.commit(key, where);
      row++;
    }
    return sink.result();
  } finally {
    src.close();
  }
}

/** gensim's binary layout: header, then "key " + float32 LE bytes per row (no newline). */
export function writeBinaryVectors(kv: KeyedVectors, write: (b: Uint8Array) => void): void {
  const [rows, dim] = kv.vectors.shape as [number, number];
  const enc = new TextEncoder();
  write(enc.encode(`${rows} ${dim}\n`));
  const chunk = new Uint8Array(1 << 20);
  let n = 0;
  const put = (b: Uint8Array) => {
    if (n + b.length > chunk.length) ((write(chunk.subarray(0, n))), (n = 0));
    if (b.length > chunk.length) return write(b);
    chunk.set(b, n);
    n += b.length;
  };
  const vec = new Uint8Array(dim * 4);
  const dv = new DataView(vec.buffer);
  for (let i = 0; i < rows; i++) {
    put(enc.encode(kv.keys[i]! + ' '));
    for (let j = 0; j < dim; j++) dv.setFloat32(j * 4, kv.vectors.data[i * dim + j]!, true);
    put(vec);
  }
  if (n) write(chunk.subarray(0, n));
}
