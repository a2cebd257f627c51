// Test helpers for the prune suites (not a test file itself).
import { readSafetensors } from '../src/io/safetensors.js';
import { MLP } from '../src/nn/mlp.js';

/** An nn.Sequential state_dict (0.weight, 0.bias, 2.weight, …) as an MLP. */
export function loadSequential(path: string): MLP {
  const { tensors } = readSafetensors(path);
  const idx = [...tensors.keys()].filter((k) => k.endsWith('.weight')).map((k) => Number(k.split('.')[0])).sort((a, b) => a - b);
  return new MLP(idx.map((i) => ({ weight: tensors.get(`${i}.weight`)!, bias: tensors.get(`${i}.bias`)!.data })), 'relu');
}
