// trimnet's public face. Names here are relied on by users and checks: see ../shared/design.md.

export { Tensor, shapeStr } from './tensor.js';
export type { Shape } from './tensor.js';
export { TrimnetError, ShapeError, ArgumentError, BackendError, FormatError, DataError, SpaceError } from './errors.js';
export type { TrimnetErrorCode } from './errors.js';
export { setBackend, getBackend, availableBackends, tryBackend } from './backend/registry.js';
export type { BackendAvailability } from './backend/registry.js';
export type { Backend, BackendName, Activation, GemmOptions, ColStats } from './backend/types.js';
export { newColStats, mergeColStats } from './backend/types.js';
export { matmul, matmulAsync, linear, svd, svdAsync } from './ops.js';
export type { MatmulOptions, Svd } from './ops.js';
export { MLP, argmaxRows } from './nn/mlp.js';
export type { Linear, MLPOptions } from './nn/mlp.js';
export { Rng } from './rng.js';
export { keepOnDevice, refreshOnDevice, dropFromDevice, setCudaAllowTF32 } from './backend/cuda.js';
export type { DeviceBuffer, CudaDeviceInfo } from './backend/cuda.js';
