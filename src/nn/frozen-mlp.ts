// A model frozen for serving: a private copy of an MLP whose weights never change again, so the
// cpu backend packs them once into its GEMM panels (kernels/cpu/gemm_impl.h, pack_weights) and
// every request streams them contiguously instead of reading PyTorch's row layout (onnxruntime
// prepacks its sessions the same way). An MLP promises that weights changed in place are used at
// once, which a packed copy cannot see; a FrozenMLP promises the opposite: it is what the model
// was when frozen, and changes to that model do not reach it (freeze again to take them).
// The packed copy is native memory, freed after the model is garbage-collected once the event
// loop turns (Node runs native finalizers then): a loop that freezes many models without ever
// yielding holds their copies until it does.

import type { Tensor } from '../tensor.js';
import { frozenNets } from './fused-forward.js';
import type { MLP } from './mlp.js';

export class FrozenMLP {
  readonly #model: MLP;

  /** Use `mlp.freeze()`. */
  constructor(model: MLP) {
    this.#model = model.clone();
    frozenNets.add(this.#model);
  }

  get inputSize(): number {
    return this.#model.inputSize;
  }

  get outputSize(): number {
    return this.#model.outputSize;
  }

  layerSizes(): number[] {
    return this.#model.layerSizes();
  }

  paramCount(): number {
    return this.#model.paramCount();
  }

  /**
   * Logits for a batch [batch, in] -> [batch, out], as MLP.forward. On the cpu backend, for more
   * than 4 rows, bitwise what the MLP it was frozen from gave at that moment.
   */
  forward(x: Tensor): Tensor {
    return this.#model.forward(x);
  }

  /**
   * Logits of one sample with no allocation per call, as MLP.forwardOne (the result is reused by
   * the next call unless `out` is given). On the cpu backend bitwise the row forward gives.
   */
  forwardOne(x: Float32Array, out?: Float32Array): Float32Array {
    return this.#model.forwardOne(x, out);
  }

  /** forward off the event loop (native backends: each layer's GEMM on the libuv pool), as MLP.forwardAsync. */
  forwardAsync(x: Tensor): Promise<Tensor> {
    return this.#model.forwardAsync(x);
  }

  /** Class index of one sample (argmax of forwardOne), no allocation per call. */
  predictOne(x: Float32Array): number {
    return this.#model.predictOne(x);
  }

  /** Class index (argmax of the logits) per row. */
  predict(x: Tensor): Int32Array {
    return this.#model.predict(x);
  }

  /** Accuracy and mean softmax cross-entropy against integer labels. */
  evaluate(x: Tensor, labels: ArrayLike<number>, batchSize = 1024): { accuracy: number; loss: number } {
    return this.#model.evaluate(x, labels, batchSize);
  }

  /** An MLP with the frozen weights (a copy: to inspect, save, prune or train). */
  toMLP(): MLP {
    return this.#model.clone();
  }
}
