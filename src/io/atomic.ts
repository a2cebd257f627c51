// Atomic file output: write a temp file in the target's directory, then rename it over the
// target, so a reader (or a crash) never sees half a file. Refuses to write over an input.

import { closeSync, fsyncSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ArgumentError, TrimnetError } from '../errors.js';

/** The path with symlinks in its directory resolved (the file itself may not exist yet). */
function canonical(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    try {
      return join(realpathSync(dirname(abs)), basename(abs));
    } catch {
      return abs;
    }
  }
}

/** Throws when `out` names the same file as one of `inputs`. */
export function assertNotInput(out: string, inputs: readonly string[] = []): void {
  const o = canonical(out);
  for (const inp of inputs) {
    if (canonical(inp) === o) throw new ArgumentError(`Refusing to write ${out}: it is also an input file; choose another output path`);
  }
}

/** What a write-to-path function returns: where it wrote and how many bytes. */
export interface WrittenFile {
  path: string;
  bytes: number;
}

/** Options of the write-to-path functions: files the caller read, never to be written over. */
export interface WriteFileOptions {
  inputs?: readonly string[];
}

/** Why `path` cannot be written, in words (never the temp file's name). */
function whyNot(path: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const dir = dirname(resolve(path));
  switch (e.code) {
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOTDIR':
      return `a part of ${dir} is not a directory`;
    case 'EACCES':
    case 'EPERM':
      return `no permission to create files in ${dir}`;
    case 'EROFS':
      return `${dir} is on a read-only file system`;
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'ENOENT': {
      const exists = (() => {
        try {
          return statSync(dir).isDirectory();
        } catch {
          return false;
        }
      })();
      return exists ? `files cannot be created in ${dir}` : `its directory does not exist: ${dir}`;
    }
    default:
      return e.code ?? String(err);
  }
}

/**
 * Checks, before any work, that `path` can be written as an output: not one of `inputs`, not a
 * directory, in a directory that exists and takes a new file (probed by creating and removing
 * an empty temp file, which also catches /proc, read-only mounts and permissions).
 */
export function checkWritable(path: string, inputs: readonly string[] = []): void {
  assertNotInput(path, inputs);
  const target = resolve(path);
  try {
    if (statSync(target).isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new TrimnetError('E_IO', `Cannot write ${path}: ${whyNot(path, err)}`, { cause: err });
  }
  const probe = tempName(target);
  try {
    closeSync(openSync(probe, 'wx', 0o644));
    unlinkSync(probe);
  } catch (err) {
    throw new TrimnetError('E_IO', `Cannot write ${path}: ${whyNot(path, err)}`, { cause: err });
  }
}

function tempName(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
}

// ---- interruption: a SIGINT/SIGTERM must never leave a temp file (or a partial output) behind.
// The write below is synchronous, so a signal can only land inside it with Node's default
// disposition, which kills the process at once and would strand the temp file. While a write is
// in progress (and for 10 ms after, until a signal that arrived during it has been delivered) a
// handler is installed instead: it removes any live temp file and re-raises the
// signal, so the process still dies of it. Processes that handle SIGINT/SIGTERM themselves (a
// server) keep their own handlers; an interrupted write then ends normally before theirs runs.
const liveTemps = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
let guards = 0;
let installed = false;

function onSignal(sig: NodeJS.Signals): void {
  for (const t of liveTemps) {
    try {
      unlinkSync(t);
    } catch {
      /* already renamed or removed */
    }
  }
  liveTemps.clear();
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  installed = false;
  process.kill(process.pid, sig); // default disposition again: die of the signal
}

function guardSignals(): () => void {
  if (guards++ === 0 && SIGNALS.every((s) => process.listenerCount(s) === 0)) {
    for (const s of SIGNALS) process.on(s, onSignal);
    installed = true;
  }
  // Released a few ms later, not at once: a signal that arrived during the synchronous write is
  // only dispatched once the event loop polls (a setImmediate can run first and lose it).
  return () => {
    setTimeout(() => {
      if (--guards === 0 && installed) {
        for (const s of SIGNALS) process.removeListener(s, onSignal);
        installed = false;
      }
    }, 10);
  };
}

/**
 * Writes `data` to `path` atomically (temp file in the same directory + fsync + rename).
 * `inputs`: files this command read; writing over any of them is refused.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string, opts: { inputs?: readonly string[] } = {}): WrittenFile {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return writeFileAtomicWith(path, (write) => write(bytes), opts);
}

/**
 * Like writeFileAtomic, for output produced in pieces (a large vector file): `produce` calls
 * `write` as often as it likes; the file appears under `path` only once `produce` returns.
 */
export function writeFileAtomicWith(path: string, produce: (write: (bytes: Uint8Array) => void) => void, opts: { inputs?: readonly string[] } = {}): WrittenFile {
  assertNotInput(path, opts.inputs);
  const target = resolve(path);
  const tmp = tempName(target);
  let fd: number | null = null;
  let written = 0;
  const release = guardSignals();
  try {
    liveTemps.add(tmp);
    const out = openSync(tmp, 'wx', 0o644);
    fd = out;
    produce((bytes) => {
      let off = 0;
      while (off < bytes.length) off += writeSync(out, bytes, off, bytes.length - off);
      written += bytes.length;
    });
    fsyncSync(out);
    closeSync(out);
    fd = null;
    renameSync(tmp, target);
    liveTemps.delete(tmp);
    return { path, bytes: written };
  } catch (err) {
    liveTemps.delete(tmp);
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* the temp file may not exist */
    }
    if (err instanceof TrimnetError) throw err;
    throw new TrimnetError('E_IO', `Cannot write ${path}: ${whyNot(path, err)}`, { cause: err });
  } finally {
    release();
  }
}
