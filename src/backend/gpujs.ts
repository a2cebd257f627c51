// The `gpujs` backend: gpu.js kernels (kernels/gpujs), GPU through WebGL where present and
// gpu.js's CPU mode elsewhere. Filled by the foundation issue's gpujs step.

import type { Backend } from './types.js';

export function probeGpujs(): { backend: Backend | null; reason?: string } {
  return { backend: null, reason: 'gpujs backend not implemented yet' };
}
