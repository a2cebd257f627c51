// Reading and writing model files in the CLI: .onnx, .safetensors or .npz in (src/io/model-file.ts),
// .onnx or .safetensors out by the --out extension, with the source and what was done recorded.
import type { Command } from 'commander';
import { type LoadedModel, loadModel } from '../io/model-file.js';
import { toOnnx } from '../io/onnx-export.js';
import type { MLP } from '../nn/mlp.js';

export const ACTIVATION_HELP = 'the hidden activation(s) of a state dict that does not record them: relu, leaky_relu(0.2), gelu, tanh, sigmoid, identity, or per hidden layer "gelu,gelu,tanh" or a JSON list';

/** Adds --activation (for state dicts without one in their metadata). */
export function addActivationOption(cmd: Command): Command {
  return cmd.option('--activation <spec>', ACTIVATION_HELP);
}

/** Loads a model file; prints what was folded or dropped unless quiet. */
export function readModel(file: string, o: { activation?: string }, log: (s: string) => void = console.log): LoadedModel {
  const loaded = loadModel(file, o.activation !== undefined ? { activation: o.activation } : {});
  for (const f of loaded.folded) log(`${file}: folded ${f}`);
  for (const d of loaded.dropped) log(`${file}: dropped ${d}`);
  return loaded;
}

export function isOnnxPath(path: string): boolean {
  return /\.onnx$/i.test(path);
}

/** The bytes of `model` in the format --out names (.onnx, else safetensors), with `metadata` kept. */
export function modelBytes(model: MLP, out: string, metadata: Record<string, string>, source?: LoadedModel): Uint8Array {
  if (!isOnnxPath(out)) return model.toSafetensors(metadata);
  const o = source?.onnx;
  return toOnnx(model, {
    ...(o ? { inputName: o.inputName, outputName: o.outputName, inputShape: o.inputShape } : {}),
    metadata: { ...o?.metadata, ...metadata },
  });
}
