// A file read in chunks through one descriptor: lines (text formats) or exact byte counts (binary
// formats), so a reader never holds more than one chunk of the file beside what it builds.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { TrimnetError } from '../../errors.js';

const CHUNK = 1 << 20;

/** Progress of a read: bytes consumed so far out of the file's size. */
export type Progress = (done: number, total: number) => void;

export class ByteSource {
  readonly size: number;
  private fd: number;
  private buf = Buffer.allocUnsafe(CHUNK);
  private start = 0; // unread bytes are buf[start, end)
  private end = 0;
  private consumed = 0; // file offset of buf[end]
  private lastReport = 0;

  constructor(
    readonly path: string,
    private readonly onProgress?: Progress,
  ) {
    try {
      this.fd = openSync(path, 'r');
      this.size = fstatSync(this.fd).size;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a directory' : (e.message ?? String(err));
      throw new TrimnetError('E_IO', `Cannot read ${path}: ${why}`, { cause: err });
    }
  }

  close(): void {
    if (this.onProgress && this.lastReport < this.offset) this.onProgress(this.offset, this.size);
    closeSync(this.fd);
  }

  /** File offset of the next unread byte. */
  get offset(): number {
    return this.consumed - (this.end - this.start);
  }

  /** Reads more of the file after the unread bytes; false at the end of the file. */
  private fill(): boolean {
    if (this.start > 0) {
      this.buf.copy(this.buf, 0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    if (this.end === this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2); // a line longer than the buffer
      this.buf.copy(bigger, 0, 0, this.end);
      this.buf = bigger;
    }
    const n = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, this.consumed);
    this.end += n;
    this.consumed += n;
    if (this.onProgress && (this.consumed - this.lastReport >= 64 * CHUNK || (n === 0 && this.lastReport < this.size))) {
      this.lastReport = this.consumed;
      this.onProgress(this.consumed, this.size);
    }
    return n > 0;
  }

  /** The next line without its '\n' (and '\r'), or null at the end of the file. */
  line(): string | null {
    for (let from = this.start; ; ) {
      const nl = this.buf.indexOf(10, from);
      if (nl >= 0 && nl < this.end) {
        let stop = nl;
        if (stop > this.start && this.buf[stop - 1] === 13) stop--;
        const s = this.buf.toString('utf8', this.start, stop);
        this.start = nl + 1;
        return s;
      }
      from = this.end - this.start; // after fill() the unread bytes start at 0
      if (!this.fill()) {
        if (this.start === this.end) return null;
        const s = this.buf.toString('utf8', this.start, this.end);
        this.start = this.end;
        return s;
      }
    }
  }

  /** Continues reading at byte `offset` of the file (binary formats with an index: safetensors). */
  seek(offset: number): void {
    this.start = this.end = 0;
    this.consumed = offset;
  }

  /** The next `n` bytes as a view valid until the next call, or fewer at the end of the file. */
  bytes(n: number): Buffer {
    while (this.end - this.start < n && this.fill());
    const take = Math.min(n, this.end - this.start);
    const out = this.buf.subarray(this.start, this.start + take);
    this.start += take;
    return out;
  }

  /** Bytes up to (not including) `stop`, which is consumed; skips leading whitespace. Null at the end. */
  until(stop: number): Buffer | null {
    for (;;) {
      while (this.start < this.end && (this.buf[this.start] === 10 || this.buf[this.start] === 13 || this.buf[this.start] === 32)) this.start++;
      if (this.start < this.end) break;
      if (!this.fill()) return null;
    }
    for (let from = this.start; ; ) {
      const at = this.buf.indexOf(stop, from);
      if (at >= 0 && at < this.end) {
        const out = this.buf.subarray(this.start, at);
        this.start = at + 1;
        return out;
      }
      from = this.end - this.start;
      if (!this.fill()) return null;
    }
  }
}

/** Counts the lines of a file (a final line without '\n' counts) in one pass over fixed chunks. */
export function countLines(path: string): number {
  const src = new ByteSource(path);
  try {
    let n = 0;
    let last = 10;
    for (;;) {
      const b = src.bytes(CHUNK);
      if (b.length === 0) break;
      for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) n++;
      last = b[b.length - 1]!;
    }
    return last === 10 ? n : n + 1;
  } finally {
    src.close();
  }
}
