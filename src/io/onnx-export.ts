// ONNX export of an MLP: opset 17, a dynamic batch dimension, encoded by protobufjs with ONNX's
// schema. Per layer i: Gemm(h, layers.i.weight [out, in], layers.i.bias, transB = 1), then its
// hidden activation — Relu, LeakyRelu(alpha), Tanh, Sigmoid, nothing for identity, and GELU as the
// exact-erf pattern x · 0.5 · (1 + Erf(x / √2)) (opset 17 has no Gelu op; this is what
// torch.onnx.export writes). An input of rank > 2 (e.g. [batch, 1, 28, 28] from an imported
// graph) is flattened first, so the exported model takes what the original took.

import { DEFAULT_LEAKY_SLOPE } from '../backend/types.js';
import { ArgumentError, FormatError } from '../errors.js';
import type { MLP } from '../nn/mlp.js';
import { type WrittenFile, writeFileAtomic } from './atomic.js';
import { ModelProto } from './onnx.js';

export interface OnnxExportOptions {
  /** Graph input and output names (default 'input' and 'logits'). */
  inputName?: string;
  outputName?: string;
  /** The input's dimensions after the batch (default [in features]); their product must be the model's input size. */
  inputShape?: readonly number[];
  /** metadata_props (e.g. source, what was pruned). */
  metadata?: Record<string, string>;
  /** Graph name (default 'trimnet'). */
  name?: string;
}

const FLOAT = 1;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;

function floatTensor(name: string, dims: number[], data: Float32Array) {
  // raw_data is little-endian float32; copy so the view covers exactly this tensor.
  const raw = new Uint8Array(data.length * 4);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) dv.setFloat32(i * 4, data[i]!, true);
  return { name, dims, dataType: FLOAT, rawData: raw };
}

function valueInfo(name: string, dims: (number | string)[]) {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  };
}

/** The model as ONNX bytes (opset 17, IR version 8). */
export function toOnnx(mlp: MLP, opts: OnnxExportOptions = {}): Uint8Array {
  const inputName = opts.inputName ?? 'input';
  const outputName = opts.outputName ?? 'logits';
  const inputShape = opts.inputShape ? [...opts.inputShape] : [mlp.inputSize];
  if (inputShape.reduce((a, b) => a * b, 1) !== mlp.inputSize) throw new ArgumentError(`inputShape [${inputShape}] does not hold the model's ${mlp.inputSize} input features`);
  const nodes: object[] = [];
  const inits: object[] = [];
  let cur = inputName;
  const node = (op: string, inputs: string[], attribute: object[] = []) => {
    const out = `/${nodes.length}/${op}_output`;
    nodes.push({ opType: op, name: `/${nodes.length}/${op}`, input: inputs, output: [out], attribute });
    return out;
  };
  if (inputShape.length > 1) cur = node('Flatten', [cur], [{ name: 'axis', type: ATTR_INT, i: 1 }]);
  const consts = new Map<number, string>();
  const scalar = (v: number) => {
    if (!consts.has(v)) {
      const name = `const_${consts.size}`;
      inits.push(floatTensor(name, [], Float32Array.of(v)));
      consts.set(v, name);
    }
    return consts.get(v)!;
  };
  const last = mlp.layers.length - 1;
  mlp.layers.forEach((l, i) => {
    const [out, inp] = l.weight.shape as [number, number];
    inits.push(floatTensor(`layers.${i}.weight`, [out, inp], l.weight.data), floatTensor(`layers.${i}.bias`, [out], l.bias));
    cur = node('Gemm', [cur, `layers.${i}.weight`, `layers.${i}.bias`], [{ name: 'transB', type: ATTR_INT, i: 1 }]);
    if (i === last) return;
    const a = mlp.activations[i]!;
    switch (a.name) {
      case 'identity':
        break;
      case 'relu':
        cur = node('Relu', [cur]);
        break;
      case 'leaky_relu':
        cur = node('LeakyRelu', [cur], [{ name: 'alpha', type: ATTR_FLOAT, f: a.slope ?? DEFAULT_LEAKY_SLOPE }]);
        break;
      case 'tanh':
        cur = node('Tanh', [cur]);
        break;
      case 'sigmoid':
        cur = node('Sigmoid', [cur]);
        break;
      case 'gelu': {
        const x = cur;
        const erf = node('Erf', [node('Div', [x, scalar(Math.SQRT2)])]);
        cur = node('Mul', [node('Mul', [x, node('Add', [erf, scalar(1)])]), scalar(0.5)]);
        break;
      }
    }
  });
  // The last node writes the graph output.
  (nodes[nodes.length - 1] as { output: string[] }).output = [outputName];
  const model = {
    irVersion: 8,
    producerName: 'trimnet',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: opts.name ?? 'trimnet',
      node: nodes,
      initializer: inits,
      input: [valueInfo(inputName, ['batch', ...inputShape])],
      output: [valueInfo(outputName, ['batch', mlp.outputSize])],
    },
    metadataProps: Object.entries({ activations: mlp.describeActivations(), layerSizes: mlp.layerSizes().join(','), ...opts.metadata }).map(([key, value]) => ({ key, value })),
  };
  const err = ModelProto.verify(model);
  if (err) throw new FormatError(`internal: ONNX model does not match the schema: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/** Writes toOnnx() to `path` atomically, never over one of `inputs`. */
export function saveOnnx(path: string, mlp: MLP, opts: OnnxExportOptions = {}, write: { inputs?: readonly string[] } = {}): WrittenFile {
  return writeFileAtomic(path, toOnnx(mlp, opts), write);
}
