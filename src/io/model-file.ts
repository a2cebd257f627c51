// One door for the model files trimnet reads: ONNX graphs (.onnx), PyTorch state dicts as
// safetensors or .npz. Says what it folded (BatchNorm) and dropped (Dropout, Identity).

import { readFileSync } from 'node:fs';
import { ArgumentError } from '../errors.js';
import { type ActivationChoice, MLP } from '../nn/mlp.js';
import { readNpz } from './npz.js';
import { type OnnxImportInfo, readOnnx } from './onnx.js';
import { readSafetensors } from './safetensors.js';

export type ModelFormat = 'onnx' | 'safetensors' | 'npz';

export interface LoadedModel {
  model: MLP;
  format: ModelFormat;
  folded: string[];
  dropped: string[];
  /** For ONNX files: names, input shape, opset and metadata to keep on export. */
  onnx?: OnnxImportInfo;
}

/** The format of a model file, by extension, else by its first bytes. */
export function modelFormat(path: string): ModelFormat {
  if (/\.onnx$/i.test(path)) return 'onnx';
  if (/\.npz$/i.test(path)) return 'npz';
  if (/\.safetensors$/i.test(path)) return 'safetensors';
  let head: Uint8Array = new Uint8Array(0);
  try {
    head = readFileSync(path).subarray(0, 4);
  } catch {
    return 'safetensors'; // the reader says the file is missing
  }
  return head[0] === 0x50 && head[1] === 0x4b ? 'npz' : 'safetensors';
}

/** Reads a model file; `activation` is needed for a state dict that does not record one. */
export function loadModel(path: string, opts: ActivationChoice = {}): LoadedModel {
  const format = modelFormat(path);
  if (format === 'onnx') {
    if (opts.activation !== undefined) throw new ArgumentError(`${path}: an ONNX graph states its activations; --activation is for state dicts that do not`);
    const { model, info } = readOnnx(path);
    return { model, format, folded: info.folded, dropped: info.dropped, onnx: info };
  }
  const { tensors, metadata } = format === 'npz' ? { tensors: readNpz(path), metadata: {} } : readSafetensors(path);
  const { model, folded } = MLP.fromStateDict(tensors, metadata, path, opts);
  return { model, format, folded, dropped: [] };
}
