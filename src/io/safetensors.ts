// safetensors (https://github.com/huggingface/safetensors), per the public format:
//
//   [8 bytes]  N, the header length, unsigned 64-bit little-endian
//   [N bytes]  a UTF-8 JSON object: { "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] },
//              ..., "__metadata__": { "<key>": "<string>" } }   (may end with spaces, for alignment)
//   [rest]     the byte buffer; offsets are relative to its start, little-endian, C order.
//
// Every check the reference reader makes is made here: the header length fits the file, the JSON
// parses, each entry's byte size equals prod(shape)·sizeof(dtype), and the entries tile the buffer
// exactly (no overlap, no hole, nothing past the end). A bad file is one FormatError saying what is
// wrong; never a crash and never a silently wrong tensor.

import { FormatError, expected } from '../errors.js';
import { Tensor } from '../tensor.js';
import { LITTLE_ENDIAN_HOST, bf16ToFloat, copyOut, floatToBf16, floatToHalf, halfToFloat, product, toBytes } from './bytes.js';
import { type WriteFileOptions, type WrittenFile, writeFileAtomic } from './atomic.js';

/** The dtypes trimnet reads. Floats and integers are read into float32 tensors. */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';
/** The dtypes trimnet writes (float32 tensors stored as ...). */
export type SafetensorsWriteDtype = 'F32' | 'F16' | 'BF16' | 'F64';

const DTYPE_SIZE: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
/** Every dtype the format defines, so an unsupported one gets "not supported" rather than "unknown". */
const KNOWN_DTYPES = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64'];

/** The reference implementation's limit on the header (100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsFile {
  /** Every tensor, in file order, as float32 (integer dtypes are converted; I64 beyond 2^24 loses precision). */
  tensors: Map<string, Tensor>;
  /** The dtype each tensor had in the file. */
  dtypes: Map<string, SafetensorsDtype>;
  /** Exact values of integer tensors (I32 and smaller -> Int32Array, I64 -> BigInt64Array). */
  ints: Map<string, Int32Array | BigInt64Array>;
  /** The `__metadata__` string map ({} when absent). */
  metadata: Record<string, string>;
}

export interface Entry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** Parses the header; `fileSize` is the whole file's size when `bytes` holds only its start (streaming readers). */
export function parseHeader(bytes: Uint8Array, name: string, fileSize = bytes.length): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } {
  if (bytes.length < 8) throw new FormatError(`${name} is not a safetensors file: ${bytes.length} bytes is too short for the 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    throw new FormatError(`${name} is not a valid safetensors file: its header length is ${n64} bytes (the limit is ${MAX_HEADER_BYTES})`);
  }
  const n = Number(n64);
  if (n < 2) throw new FormatError(`${name} is not a valid safetensors file: header length ${n} is too small for a JSON object`);
  if (8 + n > bytes.length) {
    throw new FormatError(`${name} is truncated: the header says it is ${n} bytes long but only ${bytes.length - 8} bytes follow the length`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (err) {
    throw new FormatError(`${name} is not a valid safetensors file: its header is not UTF-8 JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new FormatError(`${name} is not a valid safetensors file: its header is not a JSON object`);
  }
  const dataStart = 8 + n;
  const dataLen = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [key, v] of Object.entries(json as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FormatError(`${name}: __metadata__ must be an object of strings`);
      for (const [mk, mv] of Object.entries(v as Record<string, unknown>)) {
        if (typeof mv !== 'string') throw new FormatError(`${name}: __metadata__.${mk} must be a string but is ${typeof mv}`);
        metadata[mk] = mv;
      }
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) throw new FormatError(`${name}: header entry '${key}' is not an object`);
    if (typeof e.dtype !== 'string') throw new FormatError(`${name}: tensor '${key}' has no dtype`);
    if (!(e.dtype in DTYPE_SIZE)) {
      const known = KNOWN_DTYPES.includes(e.dtype);
      throw new FormatError(
        `${name}: tensor '${key}' has dtype ${e.dtype}, which trimnet ${known ? 'does not read' : 'does not know'} (it reads ${Object.keys(DTYPE_SIZE).join(', ')})`,
      );
    }
    const dtype = e.dtype as SafetensorsDtype;
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isSafeInteger(d) || (d as number) < 0)) {
      throw new FormatError(`${name}: tensor '${key}' has an invalid shape ${JSON.stringify(e.shape)}`);
    }
    const shape = e.shape as number[];
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || off.some((o) => !Number.isSafeInteger(o) || (o as number) < 0)) {
      throw new FormatError(`${name}: tensor '${key}' has invalid data_offsets ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    if (end < begin) throw new FormatError(`${name}: tensor '${key}' has data_offsets [${begin}, ${end}] that end before they begin`);
    if (end > dataLen) {
      throw new FormatError(`${name} is truncated or its header lies: tensor '${key}' needs bytes [${begin}, ${end}) but the data is only ${dataLen} bytes`);
    }
    const want = product(shape) * DTYPE_SIZE[dtype];
    if (end - begin !== want) {
      throw new FormatError(`${name}: tensor '${key}' of shape [${shape.join(', ')}] and dtype ${dtype} needs ${want} bytes but its data_offsets span ${end - begin}`);
    }
    entries.push({ name: key, dtype, shape, begin, end });
  }
  // The entries must tile the buffer: sorted by offset, each starts where the last ended.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin < pos) throw new FormatError(`${name}: tensor '${e.name}' overlaps the tensor before it (it starts at byte ${e.begin}, before ${pos})`);
    if (e.begin > pos) throw new FormatError(`${name}: the header leaves bytes [${pos}, ${e.begin}) unused before tensor '${e.name}'`);
    pos = e.end;
  }
  if (pos !== dataLen) throw new FormatError(`${name}: ${dataLen - pos} bytes after the last tensor are not described by the header`);
  return { entries, metadata, dataStart };
}

function decode(bytes: Uint8Array, e: Entry, dataStart: number): { f32: Float32Array; ints?: Int32Array | BigInt64Array } {
  const count = product(e.shape);
  const buf = copyOut(bytes, dataStart + e.begin, dataStart + e.end);
  const dv = new DataView(buf);
  const out = new Float32Array(count);
  switch (e.dtype) {
    case 'F32':
      if (LITTLE_ENDIAN_HOST) return { f32: new Float32Array(buf) };
      for (let i = 0; i < count; i++) out[i] = dv.getFloat32(4 * i, true);
      return { f32: out };
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = dv.getFloat64(8 * i, true);
      return { f32: out };
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
      return { f32: out };
    case 'BF16':
      for (let i = 0; i < count; i++) out[i] = bf16ToFloat(dv.getUint16(2 * i, true));
      return { f32: out };
    case 'I64': {
      const ints = new BigInt64Array(count);
      for (let i = 0; i < count; i++) out[i] = Number((ints[i] = dv.getBigInt64(8 * i, true)));
      return { f32: out, ints };
    }
    default: {
      const ints = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v =
          e.dtype === 'I32' ? dv.getInt32(4 * i, true) : e.dtype === 'I16' ? dv.getInt16(2 * i, true) : e.dtype === 'I8' ? dv.getInt8(i) : dv.getUint8(i);
        ints[i] = e.dtype === 'BOOL' ? (v ? 1 : 0) : v;
        out[i] = ints[i]!;
      }
      return { f32: out, ints };
    }
  }
}

/** Decodes safetensors bytes (the bytes twin of readSafetensors). */
export function decodeSafetensors(bytes: Uint8Array | ArrayBuffer): SafetensorsFile {
  return readSafetensors(bytes);
}

/** Reads a safetensors file (path; bytes are accepted too, as decodeSafetensors). Throws FormatError for a malformed file. */
export function readSafetensors(src: string | Uint8Array | ArrayBuffer): SafetensorsFile {
  const { bytes, name } = toBytes(src, 'safetensors');
  const { entries, metadata, dataStart } = parseHeader(bytes, name);
  const file: SafetensorsFile = { tensors: new Map(), dtypes: new Map(), ints: new Map(), metadata };
  for (const e of [...entries].sort((a, b) => a.begin - b.begin)) {
    const { f32, ints } = decode(bytes, e, dataStart);
    file.tensors.set(e.name, new Tensor(f32, e.shape));
    file.dtypes.set(e.name, e.dtype);
    if (ints) file.ints.set(e.name, ints);
  }
  return file;
}

export type NamedTensors = Map<string, Tensor> | Record<string, Tensor>;

/** Writes tensors to a safetensors file atomically (the path twin of encodeSafetensors). */
export function writeSafetensors(path: string, tensors: NamedTensors, opts?: WriteSafetensorsOptions & WriteFileOptions): WrittenFile;
/** @deprecated The bytes form: use encodeSafetensors(tensors, opts). */
export function writeSafetensors(tensors: NamedTensors, opts?: WriteSafetensorsOptions): Uint8Array;
export function writeSafetensors(a: string | NamedTensors, b?: NamedTensors | WriteSafetensorsOptions, c: WriteSafetensorsOptions & WriteFileOptions = {}): WrittenFile | Uint8Array {
  if (typeof a !== 'string') return encodeSafetensors(a, (b ?? {}) as WriteSafetensorsOptions);
  if (b === undefined) throw expected('tensors to write', 'writeSafetensors', b);
  const { inputs, ...enc } = c;
  return writeFileAtomic(a, encodeSafetensors(b as NamedTensors, enc), inputs ? { inputs } : {});
}

export interface WriteSafetensorsOptions {
  metadata?: Record<string, string>;
  /** How float32 tensors are stored (default F32). */
  dtype?: SafetensorsWriteDtype;
}

const WRITE_SIZE: Record<SafetensorsWriteDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

/**
 * Serialises tensors (in the given order) to safetensors bytes. The header is padded with spaces
 * to a multiple of 8 bytes, as the reference writer does, so the data is aligned.
 */
export function encodeSafetensors(tensors: NamedTensors, opts: WriteSafetensorsOptions = {}): Uint8Array {
  const dtype = opts.dtype ?? 'F32';
  if (!(dtype in WRITE_SIZE)) throw expected(`one of ${Object.keys(WRITE_SIZE).join(', ')}`, 'dtype', dtype);
  const list = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (opts.metadata) {
    for (const [k, v] of Object.entries(opts.metadata)) if (typeof v !== 'string') throw expected('a string', `metadata.${k}`, v);
    header.__metadata__ = opts.metadata;
  }
  const size = WRITE_SIZE[dtype];
  let pos = 0;
  for (const [name, t] of list) {
    if (name === '__metadata__') throw expected('a tensor name other than __metadata__', 'tensor name', name);
    if (!(t instanceof Tensor)) throw expected('a Tensor', `tensor '${name}'`, t);
    header[name] = { dtype, shape: t.shape, data_offsets: [pos, pos + t.size * size] };
    pos += t.size * size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + pos);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const [, t] of list) {
    const d = t.data;
    if (dtype === 'F32' && LITTLE_ENDIAN_HOST) out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    else {
      for (let i = 0; i < d.length; i++) {
        const o = at + i * size;
        if (dtype === 'F32') dv.setFloat32(o, d[i]!, true);
        else if (dtype === 'F64') dv.setFloat64(o, d[i]!, true);
        else if (dtype === 'F16') dv.setUint16(o, floatToHalf(d[i]!), true);
        else dv.setUint16(o, floatToBf16(d[i]!), true);
      }
    }
    at += t.size * size;
  }
  return out;
}
