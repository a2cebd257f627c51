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
export { readSafetensors, writeSafetensors, MAX_HEADER_BYTES } from './io/safetensors.js';
export type { SafetensorsFile, SafetensorsDtype, SafetensorsWriteDtype, WriteSafetensorsOptions } from './io/safetensors.js';
export { readNpy, readNpyTensor, writeNpy } from './io/npy.js';
export type { NpyArray, NpyData } from './io/npy.js';
export { readIdx, writeIdx } from './io/idx.js';
export type { IdxArray, IdxData } from './io/idx.js';
export { loadDataset, miniDatasetDir, FASHION_MNIST_CLASSES } from './io/datasets.js';
export type { Dataset, Split, LoadDatasetOptions } from './io/datasets.js';
export { writeFileAtomic, assertNotInput } from './io/atomic.js';
export { train } from './nn/train.js';
export type { TrainOptions, TrainProgress, TrainResult } from './nn/train.js';
export { Adam, Sgd } from './nn/optim.js';
export type { Optimizer, AdamOptions, SgdOptions } from './nn/optim.js';
export { softmaxCrossEntropy } from './nn/loss.js';
