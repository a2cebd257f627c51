// JSON lines: {"id": key, "vector": [numbers]} per line (ids may be numbers: they become strings).
// A first pass counts lines so the matrix is allocated once; the first row fixes the width.

import { FormatError } from '../../errors.js';
import { formatFloat32 } from './format.js';
import { RowSink, type KeyedVectors, type ReadResult } from './rows.js';
import { ByteSource, countLines, type Progress } from './source.js';

export interface JsonlReadOptions {
  maxRows?: number;
  skipBad?: boolean;
  onProgress?: Progress;
}

interface Parsed {
  key: string;
  vector: unknown[];
}

function parseLine(line: string, sink: RowSink | null, path: string, where: string): Parsed | null {
  const fail = (why: string): null => {
    if (sink) sink.bad(where, why);
    else throw new FormatError(`${path} ${where}: ${why}`);
    return null;
  };
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch (err) {
    return fail(`not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return fail('expected a JSON object {"id": …, "vector": […]}');
  const { id, vector } = o as { id?: unknown; vector?: unknown };
  if (typeof id !== 'string' && typeof id !== 'number') return fail('expected an "id" that is a string or a number');
  if (!Array.isArray(vector)) return fail(`expected a "vector" array for id ${JSON.stringify(id)}`);
  return { key: String(id), vector };
}

export function readJsonlVectors(path: string, opts: JsonlReadOptions = {}): ReadResult {
  const lines = countLines(path);
  const src = new ByteSource(path, opts.onProgress);
  try {
    let sink: RowSink | null = null;
    let lineNo = 0;
    for (let line = src.line(); line !== null; line = src.line()) {
      lineNo++;
      if (line.trim() === '') continue;
      const where = `line ${lineNo}`;
      const p = parseLine(line, sink, path, where);
      if (!p) continue;
      if (!sink) {
        if (p.vector.length === 0) throw new FormatError(`${path} ${where}: the first vector is empty`);
        sink = new RowSink(path, Math.min(lines, opts.maxRows ?? Infinity), p.vector.length, !!opts.skipBad);
      }
      if (p.vector.length !== sink.dim) {
        sink.bad(where, `expected ${sink.dim} numbers in the vector of ${JSON.stringify(p.key)} but found ${p.vector.length}`);
        continue;
      }
      const slot = sink.slot();
      let ok = true;
      for (let j = 0; j < sink.dim; j++) {
        const x = p.vector[j];
        if (typeof x !== 'number') {
          sink.bad(where, `value ${j + 1} of ${JSON.stringify(p.key)} is ${JSON.stringify(x)}, not a number`);
          ok = false;
          break;
        }
        slot[j] = x;
      }
      if (ok) sink.commit(p.key, where);
      if (sink.full) break;
    }
    if (!sink) throw new FormatError(`${path} holds no vectors`);
    return sink.result();
  } finally {
    src.close();
  }
}

export function writeJsonlVectors(kv: KeyedVectors, write: (b: Uint8Array) => void): void {
  const [rows, dim] = kv.vectors.shape as [number, number];
  const enc = new TextEncoder();
  let out = '';
  for (let i = 0; i < rows; i++) {
    const v: string[] = [];
    for (let j = 0; j < dim; j++) v.push(formatFloat32(kv.vectors.data[i * dim + j]!));
    out += `{"id":${JSON.stringify(kv.keys[i])},"vector":[${v.join(',')}]}\n`;
    if (out.length > 1 << 20) ((write(enc.encode(out))), (out = ''));
  }
  if (out.length) write(enc.encode(out));
}
