// word2vec / fastText text (.vec: header "rows dim") and GloVe text (no header): "key v1 … vdim"
// per line. Streamed line by line into a matrix allocated once: the header (or, without one, a
// first pass counting lines) says how many rows to expect.

import { FormatError } from '../../errors.js';
import { formatFloat32 } from './format.js';
import { RowSink, tokens, type ReadResult } from './rows.js';
import { ByteSource, countLines, type Progress } from './source.js';
import type { KeyedVectors } from './rows.js';

export interface TextReadOptions {
  /** true: line 1 must be the header; false: no header; undefined: a line of two integers is one. */
  header?: boolean;
  maxRows?: number;
  skipBad?: boolean;
  onProgress?: Progress;
}

const isCount = (t: string | undefined) => t !== undefined && /^\d+$/.test(t);

export function readTextVectors(path: string, opts: TextReadOptions = {}): ReadResult {
  const maxRows = opts.maxRows ?? Infinity;
  const src = new ByteSource(path, opts.onProgress);
  try {
    let lineNo = 1;
    let first = src.line();
    while (first !== null && first.trim() === '') ((first = src.line()), lineNo++);
    if (first === null) throw new FormatError(`${path} is empty: no vectors to read`);
    const t0 = tokens(first);
    const looksLikeHeader = t0.length === 2 && isCount(t0[0]) && isCount(t0[1]);
    const header = opts.header ?? looksLikeHeader;
    let sink: RowSink;
    let promised = -1;
    let pending: string | null = null;
    if (header) {
      if (!looksLikeHeader) throw new FormatError(`${path} line ${lineNo}: expected a header "rows dim" (two integers) but found ${JSON.stringify(first.slice(0, 80))}`);
      promised = Number(t0[0]);
      const dim = Number(t0[1]);
      if (dim < 1) throw new FormatError(`${path} line ${lineNo}: the header says vectors of ${dim} dimensions`);
      sink = new RowSink(path, Math.min(promised, maxRows), dim, !!opts.skipBad);
    } else {
      if (t0.length < 2) throw new FormatError(`${path} line ${lineNo}: expected a key and its numbers but found ${JSON.stringify(first.slice(0, 80))}`);
      const lines = countLines(path);
      sink = new RowSink(path, Math.min(lines, maxRows), t0.length - 1, !!opts.skipBad);
      pending = first;
    }
    for (;;) {
      if (sink.full) break;
      let line: string | null;
      if (pending !== null) ((line = pending), (pending = null));
      else ((line = src.line()), lineNo++);
      if (line === null) break;
      const t = tokens(line);
      if (t.length === 0) continue;
      const where = `line ${lineNo}`;
      if (sink.parseInto(t, 1, t[0]!, where)) sink.commit(t[0]!, where);
    }
    if (header && sink.rows + sink.skipped < Math.min(promised, maxRows)) {
      throw new FormatError(`${path} line ${lineNo - 1}: the file ends after ${sink.rows + sink.skipped} rows but its header (line 1) says ${promised} rows`);
    }
    return sink.result();
  } finally {
    src.close();
  }
}

/** Lines "key v1 … vdim\n" (with the word2vec header line unless `header` is false), in ~1 MB pieces. */
export function writeTextVectors(kv: KeyedVectors, write: (b: Uint8Array) => void, header: boolean): void {
  const [rows, dim] = kv.vectors.shape as [number, number];
  const d = kv.vectors.data;
  const enc = new TextEncoder();
  let out = header ? `${rows} ${dim}\n` : '';
  for (let i = 0; i < rows; i++) {
    let line = kv.keys[i]!;
    for (let j = 0; j < dim; j++) line += ' ' + formatFloat32(d[i * dim + j]!);
    out += line + '\n';
    if (out.length > 1 << 20) ((write(enc.encode(out))), (out = ''));
  }
  if (out.length) write(enc.encode(out));
}
