// .npz reader: numpy's savez/savez_compressed archive (a zip of .npy files), unpacked by fflate.

import { unzipSync } from 'fflate';
import { FormatError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { toBytes } from './bytes.js';
import { readNpyTensor } from './npy.js';

/** Every array in the archive, by name (without `.npy`), in archive order, as float32 tensors. */
export function readNpz(src: string | Uint8Array | ArrayBuffer): Map<string, Tensor> {
  const { bytes, name: where } = toBytes(src, 'npz');
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new FormatError(`${where}: not a readable .npz archive (${(e as Error).message})`);
  }
  const out = new Map<string, Tensor>();
  for (const [name, data] of Object.entries(files)) {
    if (!name.endsWith('.npy')) throw new FormatError(`${where}: member '${name}' is not an .npy array`);
    try {
      out.set(name.slice(0, -4), readNpyTensor(data));
    } catch (e) {
      throw new FormatError(`${where}: member '${name}': ${(e as Error).message}`);
    }
  }
  if (out.size === 0) throw new FormatError(`${where} holds no arrays`);
  return out;
}
