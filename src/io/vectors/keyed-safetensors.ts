// safetensors with keys: a 2-D float tensor (default 'vectors', else the only 2-D one) and its row
// keys in the metadata ("keys": a JSON array of strings), in a 1-D integer tensor 'keys' (item
// ids), or in a separate keys file. Only the header is parsed whole; rows are read one by one.

import { FormatError } from '../../errors.js';
import { bf16ToFloat, halfToFloat } from '../bytes.js';
import { MAX_HEADER_BYTES, parseHeader, type Entry } from '../safetensors.js';
import { readKeysFile } from './keyed-npy.js';
import { RowSink, type KeyedVectors, type ReadResult } from './rows.js';
import { ByteSource, type Progress } from './source.js';


export interface KeyedSafetensorsReadOptions {
  tensor?: string;
  keys?: string;
  maxRows?: number;
  skipBad?: boolean;
  onProgress?: Progress;
}

const GET: Partial<Record<Entry['dtype'], [number, (dv: DataView, o: number) => number]>> = {
  F32: [4, (dv, o) => dv.getFloat32(o, true)],
  F64: [8, (dv, o) => dv.getFloat64(o, true)],
  F16: [2, (dv, o) => halfToFloat(dv.getUint16(o, true))],
  BF16: [2, (dv, o) => bf16ToFloat(dv.getUint16(o, true))],
};

export function readKeyedSafetensors(path: string, opts: KeyedSafetensorsReadOptions = {}): ReadResult {
  const src = new ByteSource(path, opts.onProgress);
  try {
    const pre = src.bytes(8);
    if (pre.length < 8) throw new FormatError(`${path} is not a safetensors file: too short for the 8-byte header length`);
    const n = Number(pre.readBigUInt64LE(0));
    if (n > MAX_HEADER_BYTES || 8 + n > src.size) throw new FormatError(`${path} is not a valid safetensors file: its header length ${n} does not fit the file`);
    const head = Buffer.alloc(8 + n);
    pre.copy(head);
    src.bytes(n).copy(head, 8);
    const { entries, metadata, dataStart } = parseHeader(head, path, src.size);
    const twoD = entries.filter((e) => e.shape.length === 2 && e.dtype in GET);
    const name = opts.tensor ?? (entries.some((e) => e.name === 'vectors') ? 'vectors' : twoD.length === 1 ? twoD[0]!.name : undefined);
    const e = entries.find((x) => x.name === name);
    if (!e) throw new FormatError(`${path}: expected a tensor ${opts.tensor ? `'${opts.tensor}'` : "'vectors' (or a single 2-D float tensor)"} but the file holds ${entries.map((x) => `'${x.name}' [${x.shape.join(', ')}]`).join(', ') || 'none'}`);
    const get = GET[e.dtype];
    if (!get || e.shape.length !== 2) throw new FormatError(`${path}: tensor '${e.name}' is ${e.dtype} [${e.shape.join(', ')}], not a 2-D float matrix`);
    const [rows, dim] = e.shape as [number, number];
    const want = Math.min(rows, opts.maxRows ?? Infinity);

    let keys: string[];
    let keysWhere: string;
    const keyTensor = entries.find((x) => x.name === 'keys');
    if (opts.keys) {
      keys = readKeysFile(opts.keys, rows + 1);
      keysWhere = opts.keys;
    } else if (metadata.keys !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(metadata.keys);
      } catch {
        parsed = null;
      }
      if (!Array.isArray(parsed) || parsed.some((k) => typeof k !== 'string' && typeof k !== 'number')) throw new FormatError(`${path}: metadata "keys" must be a JSON array of strings`);
      keys = parsed.map(String);
      keysWhere = 'metadata "keys"';
    } else if (keyTensor && keyTensor.shape.length === 1 && /^[IU]/.test(keyTensor.dtype)) {
      const size = keyTensor.end - keyTensor.begin;
      src.seek(dataStart + keyTensor.begin);
      const b = src.bytes(size);
      const w = size / keyTensor.shape[0]!;
      const dv = new DataView(b.buffer, b.byteOffset, b.length);
      keys = [];
      for (let i = 0; i < keyTensor.shape[0]!; i++) {
        const o = i * w;
        keys.push(w === 8 ? String(dv.getBigInt64(o, true)) : w === 4 ? String(dv.getInt32(o, true)) : w === 2 ? String(dv.getInt16(o, true)) : String(dv.getUint8(o)));
      }
      keysWhere = "tensor 'keys'";
    } else {
      throw new FormatError(`${path}: no keys for the rows of '${e.name}': expected metadata "keys" (a JSON array), a 1-D integer tensor 'keys', or a keys file`);
    }
    if (keys.length !== rows) throw new FormatError(`${path}: ${keysWhere} holds ${keys.length} keys but '${e.name}' has ${rows} rows`);

    const sink = new RowSink(path, want, dim, !!opts.skipBad);
    const [size, read] = get;
    src.seek(dataStart + e.begin);
    for (let r = 0; r < want; r++) {
      const v = src.bytes(dim * size);
      const dv = new DataView(v.buffer, v.byteOffset, v.length);
      const slot = sink.slot();
      for (let j = 0; j < dim; j++) slot[j] = read(dv, j * size);
      sink.commit(keys[r]!, `row ${r + 1}`);
    }
    return sink.result();
  } finally {
    src.close();
  }
}

/** Header for one F32 tensor 'vectors' [rows, dim] with the keys in metadata, padded to 8 bytes. */
export function safetensorsHeader(kv: KeyedVectors, extra: Record<string, string> = {}): Uint8Array {
  const [rows, dim] = kv.vectors.shape as [number, number];
  const header = { __metadata__: { ...extra, keys: JSON.stringify(kv.keys) }, vectors: { dtype: 'F32', shape: [rows, dim], data_offsets: [0, rows * dim * 4] } };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const body = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(body.length), true);
  out.set(body, 8);
  return out;
}
