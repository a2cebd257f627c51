// NumPy .npy files (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
//
//   "\x93NUMPY" major minor   then the header length: uint16 LE (v1) or uint32 LE (v2, v3)
//   header: a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
//           (latin-1 in v1/v2, UTF-8 in v3), padded with spaces and a final '\n'
//   data:   prod(shape) elements, C order (or Fortran order when fortran_order is True)
//
// Read: '<f4' '<f8' '<i4' '<i8' '|u1' (also '|i1' '<i2' '<u2' '<u4' '<f2' '|b1' and big-endian
// variants), Fortran order transposed to C order on read. Write: v1 (v2 when the header needs it).

import { FormatError, expected } from '../errors.js';
import { Tensor } from '../tensor.js';
import { copyOut, halfToFloat, product, toBytes } from './bytes.js';
import { type WriteFileOptions, type WrittenFile, writeFileAtomic } from './atomic.js';

export type NpyData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Int16Array | Uint16Array | Uint32Array;

export interface NpyArray {
  /** The descr as written in the file, e.g. '<f4'. */
  dtype: string;
  shape: number[];
  /** Elements in C (row-major) order, whatever the file's order. f2 is widened to Float32Array. */
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

// ---- a tiny parser for the header's Python literal (dict, tuple, list, str, int, bool, None)

type PyValue = string | number | boolean | null | PyValue[] | { [k: string]: PyValue };

function parsePy(text: string, name: string): PyValue {
  let i = 0;
  const fail = (why: string): never => {
    throw new FormatError(`${name}: cannot parse the .npy header ${JSON.stringify(text.trim())}: ${why} at character ${i}`);
  };
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const value = (depth = 0): PyValue => {
    ws();
    if (depth > 32) fail('nesting deeper than 32 levels'); // a real header nests 2 deep; this keeps the stack safe
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, PyValue> = {};
      for (;;) {
        ws();
        if (text[i] === '}') return i++, obj;
        const k = value(depth + 1);
        if (typeof k !== 'string') fail('a dict key that is not a string');
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        obj[k as string] = value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail("expected ',' or '}'");
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const arr: PyValue[] = [];
      for (;;) {
        ws();
        if (text[i] === close) return i++, arr;
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`expected ',' or '${close}'`);
      }
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail('an unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    const m = /^(True|False|None|-?\d+L?)/.exec(text.slice(i));
    if (!m) return fail('an unexpected token');
    i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number.parseInt(m[0], 10);
  };
  const v = value();
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}

interface Kind {
  size: number;
  make: (n: number) => NpyData;
  get: (dv: DataView, off: number, le: boolean) => number | bigint;
}

const KINDS: Record<string, Kind> = {
  f4: { size: 4, make: (n) => new Float32Array(n), get: (dv, o, le) => dv.getFloat32(o, le) },
  f8: { size: 8, make: (n) => new Float64Array(n), get: (dv, o, le) => dv.getFloat64(o, le) },
  f2: { size: 2, make: (n) => new Float32Array(n), get: (dv, o, le) => halfToFloat(dv.getUint16(o, le)) },
  i4: { size: 4, make: (n) => new Int32Array(n), get: (dv, o, le) => dv.getInt32(o, le) },
  i8: { size: 8, make: (n) => new BigInt64Array(n), get: (dv, o, le) => dv.getBigInt64(o, le) },
  i2: { size: 2, make: (n) => new Int16Array(n), get: (dv, o, le) => dv.getInt16(o, le) },
  u2: { size: 2, make: (n) => new Uint16Array(n), get: (dv, o, le) => dv.getUint16(o, le) },
  u4: { size: 4, make: (n) => new Uint32Array(n), get: (dv, o, le) => dv.getUint32(o, le) },
  i1: { size: 1, make: (n) => new Int8Array(n), get: (dv, o) => dv.getInt8(o) },
  u1: { size: 1, make: (n) => new Uint8Array(n), get: (dv, o) => dv.getUint8(o) },
  b1: { size: 1, make: (n) => new Uint8Array(n), get: (dv, o) => (dv.getUint8(o) ? 1 : 0) },
};

function kindOf(descr: string, name: string): { kind: Kind; le: boolean } {
  const m = /^([<>|=]?)([fiub])(\d+)$/.exec(descr);
  const kind = m ? KINDS[`${m[2]}${m[3]}`] : undefined;
  if (!m || !kind) {
    throw new FormatError(`${name}: .npy dtype '${descr}' is not supported (trimnet reads <f4, <f8, <i4, <i8, |u1 and the other plain numeric types)`);
  }
  return { kind, le: m[1] !== '>' };
}

export interface NpyHeader {
  descr: string;
  fortran: boolean;
  shape: number[];
  /** Byte offset of the data. */
  dataStart: number;
}

/** Parses the preamble and header of a .npy file from its first bytes (the whole header must be in `bytes`). */
export function parseNpyHeader(bytes: Uint8Array, name: string): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new FormatError(`${name} is not a .npy file (no \\x93NUMPY magic)`);
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw new FormatError(`${name}: .npy format version ${major}.${bytes[7]} is not supported (1, 2 and 3 are)`);
  const dv0 = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenSize = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenSize) throw new FormatError(`${name} is truncated inside the .npy preamble`);
  const hlen = major === 1 ? dv0.getUint16(8, true) : dv0.getUint32(8, true);
  const dataStart = 8 + lenSize + hlen;
  if (dataStart > bytes.length) throw new FormatError(`${name} is truncated: the .npy header says ${hlen} bytes but the file ends first`);
  const headerBytes = bytes.subarray(8 + lenSize, dataStart);
  let text = '';
  if (major === 3) text = new TextDecoder('utf-8').decode(headerBytes);
  else for (const b of headerBytes) text += String.fromCharCode(b); // latin-1
  const h = parsePy(text, name);
  if (typeof h !== 'object' || h === null || Array.isArray(h)) throw new FormatError(`${name}: the .npy header is not a dict`);
  const { descr, fortran_order: fortran, shape } = h as Record<string, PyValue>;
  if (typeof descr !== 'string') throw new FormatError(`${name}: .npy dtype ${JSON.stringify(descr)} is not supported (structured arrays are not read)`);
  if (typeof fortran !== 'boolean') throw new FormatError(`${name}: the .npy header has no boolean fortran_order`);
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
    throw new FormatError(`${name}: the .npy header has an invalid shape ${JSON.stringify(shape)}`);
  }
  return { descr, fortran, shape: shape as number[], dataStart };
}

/** Reads a .npy file (path; bytes are accepted too, as decodeNpy). Fortran-ordered arrays come back in C order. */
export function readNpy(src: string | Uint8Array | ArrayBuffer): NpyArray {
  const { bytes, name } = toBytes(src, '.npy');
  const { descr, fortran, shape: dims, dataStart } = parseNpyHeader(bytes, name);
  const { kind, le } = kindOf(descr, name);
  const count = product(dims);
  const need = count * kind.size;
  const have = bytes.length - dataStart;
  if (have < need) throw new FormatError(`${name} is truncated: shape [${dims.join(', ')}] of ${descr} needs ${need} data bytes but the file has ${have}`);
  if (have > need) throw new FormatError(`${name}: ${have - need} bytes after the data of shape [${dims.join(', ')}] are not described by the header`);
  const dv = new DataView(copyOut(bytes, dataStart, dataStart + need));
  const data = kind.make(count);
  const set = data as unknown as { [i: number]: number | bigint };
  if (!fortran || dims.length < 2) {
    for (let i = 0; i < count; i++) set[i] = kind.get(dv, i * kind.size, le);
  } else {
    // Element with C index (i0..i{r-1}) sits at Fortran offset Σ i_k·Π_{j<k} d_j. Walk C order with a counter.
    const r = dims.length;
    const fstride = new Array<number>(r);
    for (let k = 0, s = 1; k < r; k++) ((fstride[k] = s), (s *= dims[k]!));
    const idx = new Array<number>(r).fill(0);
    let off = 0;
    for (let i = 0; i < count; i++) {
      set[i] = kind.get(dv, off * kind.size, le);
      for (let k = r - 1; k >= 0; k--) {
        idx[k]!++;
        off += fstride[k]!;
        if (idx[k]! < dims[k]!) break;
        off -= idx[k]! * fstride[k]!;
        idx[k] = 0;
      }
    }
  }
  return { dtype: descr, shape: dims, data };
}

/** Reads a .npy file into a float32 Tensor (any numeric dtype; int64 beyond 2^24 loses precision). */
export function readNpyTensor(src: string | Uint8Array | ArrayBuffer): Tensor {
  const a = readNpy(src);
  const f = a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as ArrayLike<number | bigint>, Number);
  return new Tensor(f, a.shape);
}

function descrOf(data: NpyData): string {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof BigInt64Array) return '<i8';
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Int8Array) return '|i1';
  if (data instanceof Int16Array) return '<i2';
  if (data instanceof Uint16Array) return '<u2';
  if (data instanceof Uint32Array) return '<u4';
  throw expected('a Float32Array, Float64Array, Int32Array, BigInt64Array or Uint8Array', 'npy data', data);
}

/** Decodes .npy bytes (the bytes twin of readNpy). */
export function decodeNpy(bytes: Uint8Array | ArrayBuffer): NpyArray {
  return readNpy(bytes);
}

export type NpyInput = Tensor | { data: NpyData; shape: readonly number[] };

/** Writes a Tensor (as <f4) or typed data with a shape to a .npy file atomically (the path twin of encodeNpy). */
export function writeNpy(path: string, arr: NpyInput, opts?: WriteFileOptions): WrittenFile;
/** @deprecated The bytes form: use encodeNpy(arr). */
export function writeNpy(arr: NpyInput): Uint8Array;
export function writeNpy(a: string | NpyInput, arr?: NpyInput, opts: WriteFileOptions = {}): WrittenFile | Uint8Array {
  if (typeof a !== 'string') return encodeNpy(a);
  if (arr === undefined) throw expected('an array to write', 'writeNpy', arr);
  return writeFileAtomic(a, encodeNpy(arr), opts);
}

/** Serialises a Tensor (as <f4) or typed data with a shape (dtype from the array type) to .npy bytes, C order. */
export function encodeNpy(arr: NpyInput): Uint8Array {
  const data = arr.data;
  const shape = [...arr.shape];
  const descr = descrOf(data);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0) || product(shape) !== data.length) {
    throw expected(`a shape with ${data.length} elements`, 'npy shape', `[${shape.join(', ')}]`);
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Pad so the data starts on a 64-byte boundary; the header ends with '\n'.
  let major = 1;
  let pre = 10;
  let total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  if (total - pre > 0xffff) ((major = 2), (pre = 12), (total = Math.ceil((pre + dict.length + 1) / 64) * 64));
  const hlen = total - pre;
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, hlen, true);
  else dv.setUint32(8, hlen, true);
  const header = dict.padEnd(hlen - 1, ' ') + '\n';
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total); // little-endian host
  return out;
}
