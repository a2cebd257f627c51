// IDX files, the MNIST family's format (http://yann.lecun.com/exdb/mnist/), gzipped or not:
//
//   bytes 0-1  0x00 0x00
//   byte  2    type: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64
//   byte  3    number of dimensions r
//   r × uint32 big-endian dimension sizes, then the data, big-endian, C order.

import { gunzipSync, gzipSync } from 'node:zlib';
import { FormatError, expected } from '../errors.js';
import { copyOut, product, toBytes } from './bytes.js';
import { type WriteFileOptions, type WrittenFile, writeFileAtomic } from './atomic.js';

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  shape: number[];
  data: IdxData;
}

const TYPES: Record<number, { size: number; make: (n: number) => IdxData; get: (dv: DataView, o: number) => number }> = {
  0x08: { size: 1, make: (n) => new Uint8Array(n), get: (dv, o) => dv.getUint8(o) },
  0x09: { size: 1, make: (n) => new Int8Array(n), get: (dv, o) => dv.getInt8(o) },
  0x0b: { size: 2, make: (n) => new Int16Array(n), get: (dv, o) => dv.getInt16(o) },
  0x0c: { size: 4, make: (n) => new Int32Array(n), get: (dv, o) => dv.getInt32(o) },
  0x0d: { size: 4, make: (n) => new Float32Array(n), get: (dv, o) => dv.getFloat32(o) },
  0x0e: { size: 8, make: (n) => new Float64Array(n), get: (dv, o) => dv.getFloat64(o) },
};

/** Decodes IDX bytes, gzipped or plain (the bytes twin of readIdx). */
export function decodeIdx(bytes: Uint8Array | ArrayBuffer): IdxArray {
  return readIdx(bytes);
}

/** Reads an IDX file (path, `.gz` or plain: detected by content; bytes are accepted too, as decodeIdx). */
export function readIdx(src: string | Uint8Array | ArrayBuffer): IdxArray {
  let { bytes, name } = toBytes(src, 'IDX');
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new FormatError(`${name} is a damaged gzip file: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new FormatError(`${name} is not an IDX file (it does not start with two zero bytes)`);
  const type = TYPES[bytes[2]!];
  if (!type) throw new FormatError(`${name}: IDX data type 0x${bytes[2]!.toString(16)} is not one of 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E`);
  const r = bytes[3]!;
  const start = 4 + 4 * r;
  if (bytes.length < start) throw new FormatError(`${name} is truncated inside its IDX header (${r} dimensions)`);
  const dv0 = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < r; i++) shape.push(dv0.getUint32(4 + 4 * i, false));
  const count = product(shape);
  const need = count * type.size;
  const have = bytes.length - start;
  if (have < need) throw new FormatError(`${name} is truncated: IDX shape [${shape.join(', ')}] needs ${need} data bytes but the file has ${have}`);
  if (have > need) throw new FormatError(`${name}: ${have - need} bytes after the IDX data of shape [${shape.join(', ')}] are not described by the header`);
  if (type.size === 1) {
    const data = type.make(count);
    (data as Uint8Array).set(bytes.subarray(start, start + need));
    return { shape, data };
  }
  const dv = new DataView(copyOut(bytes, start, start + need));
  const data = type.make(count);
  for (let i = 0; i < count; i++) data[i] = type.get(dv, i * type.size);
  return { shape, data };
}

/** Writes typed data with a shape to an IDX file atomically, gzipped when `gzip` (the path twin of encodeIdx). */
export function writeIdx(path: string, arr: IdxArray, opts?: { gzip?: boolean } & WriteFileOptions): WrittenFile;
/** @deprecated The bytes form: use encodeIdx(arr, opts). */
export function writeIdx(arr: IdxArray, opts?: { gzip?: boolean }): Uint8Array;
export function writeIdx(a: string | IdxArray, b?: IdxArray | { gzip?: boolean }, c: { gzip?: boolean } & WriteFileOptions = {}): WrittenFile | Uint8Array {
  if (typeof a !== 'string') return encodeIdx(a, (b ?? {}) as { gzip?: boolean });
  if (b === undefined) throw expected('an array to write', 'writeIdx', b);
  const { inputs, ...enc } = c;
  return writeFileAtomic(a, encodeIdx(b as IdxArray, enc), inputs ? { inputs } : {});
}

/** Serialises typed data with a shape to IDX bytes (gzipped when `gzip`). */
export function encodeIdx(arr: IdxArray, opts: { gzip?: boolean } = {}): Uint8Array {
  const { data, shape } = arr;
  if (product(shape) !== data.length) throw expected(`a shape with ${data.length} elements`, 'IDX shape', `[${shape.join(', ')}]`);
  const code =
    data instanceof Uint8Array ? 0x08 : data instanceof Int8Array ? 0x09 : data instanceof Int16Array ? 0x0b : data instanceof Int32Array ? 0x0c : data instanceof Float32Array ? 0x0d : 0x0e;
  const size = TYPES[code]!.size;
  const start = 4 + 4 * shape.length;
  const out = new Uint8Array(start + data.length * size);
  const dv = new DataView(out.buffer);
  out[2] = code;
  out[3] = shape.length;
  shape.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < data.length; i++) {
    const o = start + i * size;
    const v = data[i]!;
    if (code === 0x08) dv.setUint8(o, v);
    else if (code === 0x09) dv.setInt8(o, v);
    else if (code === 0x0b) dv.setInt16(o, v, false);
    else if (code === 0x0c) dv.setInt32(o, v, false);
    else if (code === 0x0d) dv.setFloat32(o, v, false);
    else dv.setFloat64(o, v, false);
  }
  return opts.gzip ? gzipSync(out) : out;
}
