// The `cuda` backend: the addon's CUDA kernels (kernels/cuda). Available only when the addon
// was compiled with CUDA and a driver and device are present. Filled by the CUDA issue.

import type { NativeAddon } from './addon.js';
import type { Backend } from './types.js';

export function probeCuda(addon: NativeAddon): { backend: Backend | null; reason?: string } {
  const info = addon.info();
  if (!info.cudaCompiled) return { backend: null, reason: 'not built with CUDA' };
  if (info.cudaStatus !== 'ok') return { backend: null, reason: info.cudaStatus };
  return { backend: null, reason: 'cuda backend not implemented yet' };
}
