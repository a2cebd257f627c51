// Small byte helpers shared by the file readers: read a path or take bytes, half/bfloat16 <-> float32.

import { readFileSync } from 'node:fs';
import { TrimnetError } from '../errors.js';

/** Bytes of a file, or the given bytes. A file that cannot be read is one clear E_IO error. */
export function toBytes(src: Uint8Array | ArrayBuffer | string, what: string): { bytes: Uint8Array; name: string } {
  if (typeof src === 'string') {
    try {
      return { bytes: readFileSync(src), name: src };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a directory' : (e.message ?? String(err));
      throw new TrimnetError('E_IO', `Cannot read ${what} file ${src}: ${why}`, { cause: err });
    }
  }
  if (src instanceof ArrayBuffer) return { bytes: new Uint8Array(src), name: `the ${what} bytes` };
  if (src instanceof Uint8Array) return { bytes: src, name: `the ${what} bytes` };
  throw new TrimnetError('E_ARG', `Expected a file path, Uint8Array or ArrayBuffer for ${what} input but received ${typeof src}`);
}

/** Copies bytes [begin, end) into a fresh, aligned ArrayBuffer. */
export function copyOut(bytes: Uint8Array, begin: number, end: number): ArrayBuffer {
  const out = new ArrayBuffer(end - begin);
  new Uint8Array(out).set(bytes.subarray(begin, end));
  return out;
}

export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half (as its 16 bits) -> number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero or subnormal
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** number -> IEEE half bits, rounding to nearest even (as numpy and PyTorch do). */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00; // overflow -> Inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow -> ±0
    mant |= 0x800000; // implicit 1
    const shift = 14 - e; // 24-bit mantissa -> subnormal half
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // may carry into the exponent: still correct
  return sign | h;
}

/** bfloat16 bits -> number. */
export function bf16ToFloat(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0]!;
}

/** number -> bfloat16 bits, rounding to nearest even (NaN stays NaN). */
export function floatToBf16(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  if ((b & 0x7f800000) === 0x7f800000 && b & 0x7fffff) return ((b >>> 16) | 0x40) & 0xffff;
  const rounded = b + 0x7fff + ((b >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

export function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
