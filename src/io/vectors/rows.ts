// Where every reader puts its rows: one preallocated rows×dim float32 matrix and the keys, with the
// checks every format shares (the row's length, numbers that parse and are finite, keys seen
// once). A bad row is one FormatError naming the file and line, or, with skipBad, is counted and left out.

import { FormatError } from '../../errors.js';
import { Tensor } from '../../tensor.js';

/** Word (or item id) keys and their vectors: row i of `vectors` belongs to keys[i]. */
export interface KeyedVectors {
  keys: string[];
  /** rows × dim, float32. */
  vectors: Tensor;
}

export interface ReadResult extends KeyedVectors {
  /** Bad rows left out (skipBad). */
  skipped: number;
  /** The first few bad rows' messages, for a report. */
  skippedExamples: string[];
}

export class RowSink {
  readonly data: Float32Array;
  readonly keys: string[] = [];
  private seen = new Set<string>();
  skipped = 0;
  examples: string[] = [];

  constructor(
    readonly file: string,
    readonly capacity: number,
    readonly dim: number,
    readonly skipBad: boolean,
  ) {
    this.data = new Float32Array(capacity * dim);
  }

  get rows(): number {
    return this.keys.length;
  }

  get full(): boolean {
    return this.keys.length >= this.capacity;
  }

  /** A bad row: thrown, or counted when skipping. `where` is "line 12" or "row 12". */
  bad(where: string, why: string): void {
    const msg = `${this.file} ${where}: ${why}`;
    if (!this.skipBad) throw new FormatError(`${msg} (pass skipBad / --skip-bad to leave such rows out)`);
    this.skipped++;
    if (this.examples.length < 5) this.examples.push(msg);
  }

  /** The slot the next row's numbers go to (a view of the matrix). */
  slot(): Float32Array {
    const r = this.keys.length;
    return this.data.subarray(r * this.dim, (r + 1) * this.dim);
  }

  /** Adds the row just written to slot(), after checking the key and the numbers. */
  commit(key: string, where: string): boolean {
    if (key.length === 0) return this.bad(where, 'the key is empty'), false;
    if (this.seen.has(key)) return this.bad(where, `duplicate key ${JSON.stringify(key)} (it appeared on an earlier row)`), false;
    const v = this.slot();
    for (let j = 0; j < v.length; j++) {
      if (!Number.isFinite(v[j]!)) return this.bad(where, `value ${j + 1} of ${JSON.stringify(key)} is ${v[j]}, not a finite number`), false;
    }
    this.seen.add(key);
    this.keys.push(key);
    return true;
  }

  /** Parses `tokens[from..]` (exactly dim of them) into slot(); false (after bad()) when they do not parse. */
  parseInto(tokens: string[], from: number, key: string, where: string): boolean {
    const n = tokens.length - from;
    if (n !== this.dim) return this.bad(where, `expected ${this.dim} numbers after the key ${JSON.stringify(key)} but found ${n}`), false;
    const v = this.slot();
    for (let j = 0; j < n; j++) {
      const t = tokens[from + j]!;
      // 'nan', 'inf', '-Infinity' are numbers that commit() refuses as not finite.
      const x = /^[+-]?(nan|inf|infinity)$/i.test(t) ? NaN : Number(t);
      if (Number.isNaN(x) && !/^[+-]?(nan|inf|infinity)$/i.test(t)) return this.bad(where, `${JSON.stringify(t)} (value ${j + 1} of ${JSON.stringify(key)}) is not a number`), false;
      v[j] = x;
    }
    return true;
  }

  result(): ReadResult {
    const rows = this.keys.length;
    // A view when rows were skipped or the file had fewer than expected: no second copy.
    const data = rows === this.capacity ? this.data : this.data.subarray(0, rows * this.dim);
    return { keys: this.keys, vectors: new Tensor(data, [rows, this.dim]), skipped: this.skipped, skippedExamples: this.examples };
  }
}

/** Splits a text line into whitespace-separated tokens. */
export function tokens(line: string): string[] {
  const t = line.trim();
  return t.length === 0 ? [] : t.split(/[ \t]+/);
}
