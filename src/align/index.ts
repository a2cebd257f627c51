// Embeddings from two models: alignment, concatenation, retrieval, the space guard.
export { procrustes } from './procrustes.js';
export type { ProcrustesOptions, ProcrustesResult } from './procrustes.js';
export { cca } from './cca.js';
export type { CcaOptions, CcaResult } from './cca.js';
export { linearMap } from './linear.js';
export type { LinearMapOptions, LinearMapResult } from './linear.js';
export { kernelMap } from './kernel.js';
export type { KernelMapOptions, KernelMapResult } from './kernel.js';
export { concatEmbeddings, concatFit } from './concat.js';
export type { ConcatOptions, ConcatResult, ConcatNormalize } from './concat.js';
export { trainProbe } from './probe.js';
export type { Probe, ProbeOptions } from './probe.js';
export { retrieval } from './metrics.js';
export type { RetrievalOptions, RetrievalResult, RetrievalMetric } from './metrics.js';
export { tagSpace, spaceOf, sliceSpace, newSpace, cosineSimilarity, assertSameSpace } from './space.js';
export type { SpaceCheckOptions } from './space.js';
export { readEmbeddings } from './io.js';
export { embed, hiddenLayerIndex } from './embed.js';
