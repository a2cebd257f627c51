// The forward pass on a backend's fused path (the cpu backend's mlpForwardOne/mlpForwardRows:
// every layer in one native call, kernels/cpu/mlp_forward.h). A plan is made once per model and
// reused while the model's arrays, shapes and activations are the ones it was made from; any
// change (a replaced layer or bias, another backend) makes a new one on the next call, so a plan
// never runs stale weights. Weights changed in place need nothing: the plan reads the arrays.
// The nets in frozenNets (FrozenMLP's private copies, which nothing else can reach) get frozen
// plans instead: the backend copies the weights once, packed for its kernels.

import { getBackend } from '../backend/registry.js';
import type { Backend, FusedForward } from '../backend/types.js';
import { type ForwardNet, layerActivation } from './forward.js';
import type { LayerActivation } from './activation.js';

/** Nets whose plans are frozen (see FrozenMLP): their arrays never change after they join. */
export const frozenNets = new WeakSet<ForwardNet>();

export class FusedForwardPlan {
  private constructor(
    private readonly backend: Backend,
    private readonly fused: FusedForward,
    private readonly weights: readonly Float32Array[],
    private readonly biases: readonly Float32Array[],
    private readonly shapes: readonly (readonly [number, number])[],
    private readonly acts: readonly LayerActivation[],
    private readonly frozen: boolean,
  ) {}

  /** `cached` when it still fits `net` on the current backend, else a new plan; null when the backend has no fused path. */
  static for(net: ForwardNet, cached: FusedForwardPlan | null): FusedForwardPlan | null {
    const be = getBackend();
    if (cached && cached.fits(net, be)) return cached;
    if (!be.fuseForward) return null;
    const layers = net.layers.map((l, i) => {
      const act = layerActivation(net, i);
      return { weight: l.weight.data, bias: l.bias, outSize: l.weight.shape[0]!, inSize: l.weight.shape[1]!, activation: act.name, leakySlope: act.slope };
    });
    const frozen = frozenNets.has(net);
    return new FusedForwardPlan(
      be,
      be.fuseForward(layers, frozen),
      layers.map((l) => l.weight),
      layers.map((l) => l.bias),
      layers.map((l) => [l.outSize, l.inSize] as const),
      net.layers.map((_, i) => layerActivation(net, i)),
      frozen,
    );
  }

  /** One sample: writes the logits into out; returns −1 or the index of the first non-finite input (out untouched). */
  one(x: Float32Array, out: Float32Array): number {
    return this.fused.one(x, out);
  }

  /** `rows` samples: the logits into out; returns −1 or the index of the first non-finite input. */
  rows(x: Float32Array, rows: number, out: Float32Array): number {
    return this.fused.rows(x, rows, out);
  }

  private fits(net: ForwardNet, be: Backend): boolean {
    if (be !== this.backend) return false;
    if (this.frozen) return true; // its net never changes (frozenNets)
    if (net.layers.length !== this.weights.length) return false;
    for (let i = 0; i < this.weights.length; i++) {
      const l = net.layers[i]!;
      const [o, k] = this.shapes[i]!;
      if (l.weight.data !== this.weights[i] || l.bias !== this.biases[i] || l.weight.shape[0] !== o || l.weight.shape[1] !== k) return false;
      if (l.weight.data.length !== o * k || l.bias.length !== o || layerActivation(net, i) !== this.acts[i]) return false;
    }
    return true;
  }
}
