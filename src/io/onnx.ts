// ONNX import: a feed-forward network exported by torch.onnx.export (opsets 11–17) as an MLP.
//
// The protobuf is decoded by protobufjs with ONNX's own schema (src/io/onnx-schema.ts). The graph
// is then walked as one chain from its single input to its single output, each step one of:
//   Flatten (axis 1) / Reshape to [-1, F]        only before the first layer (the input's layout)
//   Gemm(x, W, b) | MatMul(x, W) [+ Add(·, b)]   a Linear layer (W kept as [out, in])
//   BatchNormalization after a Linear            folded into it exactly (float64):
//                                                s = γ/√(var+ε), W' = s·W, b' = s·(b − mean) + β
//   Relu, LeakyRelu(α), Tanh, Sigmoid, Gelu      the hidden activation after a Linear; GELU also as
//   Div(√2) → Erf → Add(1) → Mul(x) → Mul(0.5)   the pattern torch exports it as
//   Dropout, Identity                            dropped (inference)
// Anything else — another op, a tensor feeding two nodes (a skip connection), a second input, a
// dynamic dimension other than the batch — is one FormatError naming the node and its op.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import protobuf from 'protobufjs';
import { DEFAULT_LEAKY_SLOPE } from '../backend/types.js';
import { FormatError, TrimnetError } from '../errors.js';
import { type LayerActivation } from '../nn/activation.js';
import { type Linear, MLP, foldBatchNorm } from '../nn/mlp.js';
import { Tensor } from '../tensor.js';
import { toBytes } from './bytes.js';
import { ONNX_SCHEMA } from './onnx-schema.js';

const root = protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace);
export const ModelProto = root.lookupType('onnx.ModelProto');

export const SUPPORTED_OPS =
  'Gemm, MatMul+Add, Relu, LeakyRelu, Tanh, Sigmoid, Gelu (or its Erf pattern), BatchNormalization after a Linear, Flatten/Reshape at the input, Dropout, Identity';

// The subset of the decoded messages this file reads (protobufjs toObject with longs as numbers).
interface TensorProto {
  name?: string;
  dims?: number[];
  dataType?: number;
  floatData?: number[];
  doubleData?: number[];
  int64Data?: number[];
  int32Data?: number[];
  rawData?: Uint8Array;
  dataLocation?: number;
  externalData?: { key: string; value: string }[];
}
interface AttributeProto {
  name: string;
  f?: number;
  i?: number;
  ints?: number[];
  t?: TensorProto;
}
interface NodeProto {
  name?: string;
  opType: string;
  input?: string[];
  output?: string[];
  attribute?: AttributeProto[];
}
interface ValueInfo {
  name: string;
  type?: { tensorType?: { shape?: { dim?: { dimValue?: number; dimParam?: string }[] } } };
}
interface GraphProto {
  node?: NodeProto[];
  initializer?: TensorProto[];
  input?: ValueInfo[];
  output?: ValueInfo[];
}
interface ModelProtoObject {
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  opsetImport?: { domain?: string; version?: number }[];
  graph?: GraphProto;
  metadataProps?: { key: string; value: string }[];
}

/** What an import found besides the weights. */
export interface OnnxImportInfo {
  opset: number;
  producer: string;
  inputName: string;
  outputName: string;
  /** The input's dimensions after the batch (e.g. [1, 28, 28] when the graph flattens it). */
  inputShape: number[];
  /** What was folded into a Linear layer (BatchNormalization nodes). */
  folded: string[];
  /** What was dropped (Dropout, Identity). */
  dropped: string[];
  /** The model's metadata_props. */
  metadata: Record<string, string>;
}

const FLOAT = 1;
const INT32 = 6;
const INT64 = 7;
const DOUBLE = 11;
/** Bytes per element and the little-endian reader of each data type read here (shapes are int64). */
const DTYPES: Record<number, { size: number; get: (dv: DataView, i: number) => number; list: keyof TensorProto }> = {
  [FLOAT]: { size: 4, get: (dv, i) => dv.getFloat32(i * 4, true), list: 'floatData' },
  [DOUBLE]: { size: 8, get: (dv, i) => dv.getFloat64(i * 8, true), list: 'doubleData' },
  [INT32]: { size: 4, get: (dv, i) => dv.getInt32(i * 4, true), list: 'int32Data' },
  [INT64]: { size: 8, get: (dv, i) => Number(dv.getBigInt64(i * 8, true)), list: 'int64Data' },
};

function fail(where: string, msg: string): never {
  throw new FormatError(`${where}: ${msg}`);
}

function nodeName(n: NodeProto): string {
  return `node '${n.name || n.output?.[0] || '?'}' (op ${n.opType})`;
}

function unsupported(where: string, n: NodeProto, why: string): never {
  fail(where, `${nodeName(n)} ${why}; trimnet imports feed-forward chains of ${SUPPORTED_OPS}`);
}

/** Decodes ONNX bytes; a file that is not a ModelProto (truncated, random bytes) is one FormatError. */
export function decodeOnnx(bytes: Uint8Array, where: string): ModelProtoObject {
  let msg: protobuf.Message;
  try {
    msg = ModelProto.decode(bytes);
  } catch (e) {
    fail(where, `not a valid ONNX model (protobuf decoding failed: ${(e as Error).message}; truncated or not an .onnx file?)`);
  }
  const m = ModelProto.toObject(msg, { longs: Number, enums: Number, bytes: Uint8Array as unknown as ArrayConstructor, arrays: true }) as ModelProtoObject;
  if (!m.graph || !m.opsetImport?.length) fail(where, 'not an ONNX model (no graph or opset; truncated or not an .onnx file?)');
  return m;
}

function tensorData(t: TensorProto, where: string, baseDir: string | null): Float32Array {
  const n = (t.dims ?? []).reduce((a, b) => a * b, 1);
  const type = t.dataType ?? 0;
  const dt = DTYPES[type];
  if (!dt) fail(where, `initializer '${t.name ?? ''}' has ONNX data type ${type}; trimnet reads float32 (1) and float64 (11) weights and int32/int64 shapes`);
  let raw = t.rawData && t.rawData.length ? t.rawData : null;
  if (t.dataLocation === 1) {
    const kv = Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value]));
    if (!kv.location) fail(where, `initializer '${t.name}' is external but names no location`);
    if (baseDir === null) fail(where, `initializer '${t.name}' lives in the external file '${kv.location}'; load the model from its path so the file can be found`);
    const file = resolve(baseDir, kv.location);
    if (!file.startsWith(resolve(baseDir))) fail(where, `initializer '${t.name}' points outside the model's directory ('${kv.location}')`);
    let data: Uint8Array;
    try {
      data = readFileSync(file);
    } catch (e) {
      throw new TrimnetError('E_IO', `${where}: cannot read external data file ${file} for initializer '${t.name}': ${(e as Error).message}`);
    }
    const offset = Number(kv.offset ?? 0);
    const length = kv.length !== undefined ? Number(kv.length) : data.length - offset;
    if (!(offset >= 0 && length >= 0 && offset + length <= data.length)) fail(where, `initializer '${t.name}': external data [${offset}, ${offset + length}) is outside ${file} (${data.length} bytes)`);
    raw = data.subarray(offset, offset + length);
  }
  const size = dt.size;
  if (raw) {
    if (raw.length !== n * size) fail(where, `initializer '${t.name}' holds ${raw.length} bytes but dims [${t.dims}] need ${n * size}`);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = dt.get(dv, i);
    return out;
  }
  const list = t[dt.list] as number[] | undefined;
  if (!list || list.length !== n) fail(where, `initializer '${t.name}' holds ${list?.length ?? 0} values but dims [${t.dims}] need ${n}`);
  return Float32Array.from(list);
}

interface Const {
  data: Float32Array;
  dims: number[];
}

function attr(n: NodeProto, name: string): AttributeProto | undefined {
  return n.attribute?.find((a) => a.name === name);
}

/** Reads an ONNX file (path or bytes) as an MLP, and what was folded, dropped and kept. */
export function readOnnx(src: string | Uint8Array | ArrayBuffer): { model: MLP; info: OnnxImportInfo } {
  const { bytes, name: where } = toBytes(src, 'ONNX');
  const baseDir = typeof src === 'string' ? dirname(src) : null;
  const m = decodeOnnx(bytes, where);
  const g = m.graph!;
  const opset = m.opsetImport!.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0;
  const consts = new Map<string, Const>();
  for (const t of g.initializer ?? []) consts.set(t.name ?? '', { data: tensorData(t, where, baseDir), dims: t.dims ?? [] });
  const nodes: NodeProto[] = [];
  for (const n of g.node ?? []) {
    if (n.opType === 'Constant') {
      const t = attr(n, 'value')?.t;
      if (!t) unsupported(where, n, 'has no tensor value');
      consts.set(n.output![0]!, { data: tensorData(t, where, baseDir), dims: t.dims ?? [] });
    } else nodes.push(n);
  }
  const inputs = (g.input ?? []).filter((v) => !consts.has(v.name));
  if (inputs.length !== 1) fail(where, `the graph has ${inputs.length} inputs (${inputs.map((v) => v.name).join(', ')}); trimnet imports models with one input`);
  if ((g.output ?? []).length !== 1) fail(where, `the graph has ${(g.output ?? []).length} outputs; trimnet imports models with one output`);
  const input = inputs[0]!;
  const outputName = g.output![0]!.name;
  const dims = input.type?.tensorType?.shape?.dim ?? [];
  if (dims.length < 2) fail(where, `input '${input.name}' has rank ${dims.length}; expected [batch, features…]`);
  const inputShape = dims.slice(1).map((d, i) => {
    if (!(d.dimValue && d.dimValue > 0)) fail(where, `input '${input.name}' dimension ${i + 1} is dynamic ('${d.dimParam ?? '?'}'); only the batch dimension may be`);
    return d.dimValue;
  });

  const consumers = new Map<string, NodeProto[]>();
  for (const n of nodes) for (const i of n.input ?? []) if (!consts.has(i)) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const constOf = (n: NodeProto, k: number, what: string): Const => {
    const c = consts.get(n.input?.[k] ?? '');
    if (!c) unsupported(where, n, `takes ${what} '${n.input?.[k]}' from the graph rather than from an initializer (a skip connection or a second input?)`);
    return c;
  };
  const scalar = (n: NodeProto, k: number): number => {
    const c = constOf(n, k, 'a constant');
    if (c.data.length !== 1) unsupported(where, n, 'has a non-scalar constant where a scalar was expected');
    return c.data[0]!;
  };

  const layers: Linear[] = [];
  const acts: LayerActivation[] = [];
  const folded: string[] = [];
  const dropped: string[] = [];
  let features = inputShape.reduce((a, b) => a * b, 1);
  let flat = inputShape.length === 1;
  type State = 'input' | 'linear' | 'activated';
  let state = 'input' as State;
  let cur = input.name;
  const next = (): NodeProto | null => {
    const c = consumers.get(cur) ?? [];
    if (c.length === 0) return null;
    if (c.length === 1) return c[0]!;
    // GELU's Erf pattern reads x twice (Div and Mul); anything else reading a tensor twice is a branch.
    const div = c.find((n) => n.opType === 'Div');
    if (c.length === 2 && div && c.some((n) => n.opType === 'Mul')) return div;
    fail(where, `tensor '${cur}' feeds ${c.length} nodes (${c.map(nodeName).join(', ')}): a branch or skip connection; trimnet imports a single chain of ${SUPPORTED_OPS}`);
  };
  const only = (n: NodeProto, out: string, op: string): NodeProto => {
    const c = consumers.get(out) ?? [];
    if (c.length !== 1 || c[0]!.opType !== op) unsupported(where, n, `is not followed by ${op} as GELU's Erf pattern needs`);
    return c[0]!;
  };
  const activation = (n: NodeProto, a: LayerActivation) => {
    if (state !== 'linear') unsupported(where, n, state === 'input' ? 'comes before the first Linear layer' : 'follows another activation');
    acts.push(a);
    state = 'activated';
  };
  const addLayer = (n: NodeProto, weight: Float32Array, out: number, inp: number, bias: Float32Array) => {
    if (!flat) unsupported(where, n, `reads an input of shape [batch, ${inputShape.join(', ')}] that was not flattened first`);
    if (inp !== features) unsupported(where, n, `expects ${inp} input features but receives ${features}`);
    if (state === 'linear') acts.push({ name: 'identity', slope: DEFAULT_LEAKY_SLOPE }); // two Linear layers in a row
    layers.push({ weight: new Tensor(weight, [out, inp]), bias });
    features = out;
    state = 'linear';
  };

  for (let n = next(); n; n = next()) {
    const out = n.output?.[0] ?? '';
    switch (n.opType) {
      case 'Identity':
      case 'Dropout':
        dropped.push(`${n.opType} '${n.name || out}'`);
        break;
      case 'Flatten': {
        const axis = attr(n, 'axis')?.i ?? 1;
        if (state !== 'input' || axis !== 1) unsupported(where, n, 'is supported only on the input, with axis 1');
        flat = true;
        break;
      }
      case 'Reshape': {
        const shape = Array.from(constOf(n, 1, 'its shape').data);
        const ok = shape.length === 2 && (shape[1] === features || (shape[1] === -1 && (shape[0] === -1 || shape[0] === 0)) || (shape[0] === -1 && shape[1] === features));
        if (state !== 'input' || !ok) unsupported(where, n, `is supported only on the input, reshaping to [-1, ${features}] (got [${shape.join(', ')}])`);
        flat = true;
        break;
      }
      case 'Gemm': {
        const transA = attr(n, 'transA')?.i ?? 0;
        const transB = attr(n, 'transB')?.i ?? 0;
        const alpha = attr(n, 'alpha')?.f ?? 1;
        const beta = attr(n, 'beta')?.f ?? 1;
        if (transA) unsupported(where, n, 'has transA = 1');
        const w = constOf(n, 1, 'its weight');
        if (w.dims.length !== 2) unsupported(where, n, `has a weight of rank ${w.dims.length}`);
        const [r, c] = w.dims as [number, number];
        const [outF, inF] = transB ? [r, c] : [c, r];
        const weight = transB ? w.data.slice() : transpose(w.data, r, c);
        if (alpha !== 1) for (let i = 0; i < weight.length; i++) weight[i] = Math.fround(weight[i]! * alpha);
        const bias = new Float32Array(outF);
        if (n.input?.[2]) {
          const b = constOf(n, 2, 'its bias');
          if (b.data.length !== outF && b.data.length !== 1) unsupported(where, n, `has a bias of ${b.data.length} entries for ${outF} outputs`);
          for (let i = 0; i < outF; i++) bias[i] = Math.fround(beta * b.data[b.data.length === 1 ? 0 : i]!);
        }
        addLayer(n, weight, outF, inF, bias);
        break;
      }
      case 'MatMul': {
        const w = constOf(n, 1, 'its weight');
        if (w.dims.length !== 2) unsupported(where, n, `has a weight of rank ${w.dims.length}`);
        const [inF, outF] = w.dims as [number, number];
        let bias = new Float32Array(outF);
        const c = consumers.get(out) ?? [];
        if (c.length === 1 && c[0]!.opType === 'Add') {
          const add = c[0]!;
          const k = add.input?.[0] === out ? 1 : 0;
          const b = constOf(add, k, 'its bias');
          if (b.data.length !== outF) unsupported(where, add, `adds ${b.data.length} values to ${outF} outputs`);
          bias = b.data.slice();
          cur = add.output?.[0] ?? '';
          addLayer(n, transpose(w.data, inF, outF), outF, inF, bias);
          continue;
        }
        addLayer(n, transpose(w.data, inF, outF), outF, inF, bias);
        break;
      }
      case 'BatchNormalization': {
        if (state !== 'linear') unsupported(where, n, 'is supported only right after a Linear layer (it is folded into it)');
        const training = attr(n, 'training_mode')?.i ?? 0;
        if (training) unsupported(where, n, 'is in training mode');
        const eps = attr(n, 'epsilon')?.f ?? 1e-5;
        const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((k) => constOf(n, k, 'a statistic').data);
        foldBatchNorm(layers[layers.length - 1]!, gamma!, beta!, mean!, variance!, eps);
        folded.push(`BatchNormalization '${n.name || out}' into layer ${layers.length - 1}`);
        break;
      }
      case 'Relu':
        activation(n, { name: 'relu', slope: DEFAULT_LEAKY_SLOPE });
        break;
      case 'LeakyRelu':
        // α is stored as float32: keep the decimal it was written as (0.2, not 0.20000000298).
        activation(n, { name: 'leaky_relu', slope: Number((attr(n, 'alpha')?.f ?? DEFAULT_LEAKY_SLOPE).toPrecision(7)) });
        break;
      case 'Tanh':
        activation(n, { name: 'tanh', slope: DEFAULT_LEAKY_SLOPE });
        break;
      case 'Sigmoid':
        activation(n, { name: 'sigmoid', slope: DEFAULT_LEAKY_SLOPE });
        break;
      case 'Gelu': {
        const approx = attr(n, 'approximate');
        if (approx && String(approx) !== 'none') unsupported(where, n, "has approximate='tanh' (trimnet's GELU is the exact erf form)");
        activation(n, { name: 'gelu', slope: DEFAULT_LEAKY_SLOPE });
        break;
      }
      case 'Div': {
        // GELU: x · 0.5 · (1 + erf(x / √2)), as torch exports it.
        const x = cur;
        if (Math.abs(scalar(n, 1) - Math.SQRT2) > 1e-6) unsupported(where, n, 'is not the x / √2 of a GELU');
        const erf = only(n, out, 'Erf');
        const add = only(erf, erf.output![0]!, 'Add');
        if (Math.abs(scalar(add, add.input![0] === erf.output![0] ? 1 : 0) - 1) > 1e-6) unsupported(where, add, 'is not the 1 + erf(·) of a GELU');
        const mul = only(add, add.output![0]!, 'Mul');
        if (!mul.input?.includes(x)) unsupported(where, mul, 'does not multiply by the GELU input');
        const half = only(mul, mul.output![0]!, 'Mul');
        if (Math.abs(scalar(half, half.input![0] === mul.output![0] ? 1 : 0) - 0.5) > 1e-6) unsupported(where, half, 'is not the 0.5 · of a GELU');
        activation(n, { name: 'gelu', slope: DEFAULT_LEAKY_SLOPE });
        cur = half.output![0]!;
        continue;
      }
      default:
        unsupported(where, n, 'is not supported');
    }
    cur = out;
  }
  if (cur !== outputName) fail(where, `the chain from '${input.name}' ends at '${cur}', not at the graph output '${outputName}'`);
  if (layers.length === 0) fail(where, 'the graph has no Linear layer');
  if (state === 'activated') fail(where, `the output '${outputName}' comes after an activation; trimnet's models end in a Linear layer (logits)`);
  const metadata = Object.fromEntries((m.metadataProps ?? []).map((p) => [p.key, p.value]));
  return {
    model: new MLP(layers, acts),
    info: { opset, producer: `${m.producerName ?? ''} ${m.producerVersion ?? ''}`.trim(), inputName: input.name, outputName, inputShape, folded, dropped, metadata },
  };
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j]!;
  return t;
}
