// Which neurons of each hidden layer a pruning keeps: the one type every selector produces
// (activation threshold, size budget, ln_structured) and every consumer reads (shrink, mask,
// reconstruction, report, CLI). One encoding: a keep mask per hidden layer (1 = kept), in the
// original numbering; the index lists and counts are derived from it.

import { ArgumentError, ShapeError } from '../errors.js';

export class NeuronSelection {
  /** keep[i][j] = 1 when neuron j of hidden layer i stays. */
  readonly keep: readonly Uint8Array[];

  private constructor(keep: Uint8Array[]) {
    this.keep = keep;
  }

  /** Every neuron kept, for hidden layers of the given sizes. */
  static all(sizes: readonly number[]): NeuronSelection {
    return new NeuronSelection(sizes.map((n) => new Uint8Array(n).fill(1)));
  }

  /** From keep masks (copied; any non-zero entry means kept). */
  static fromMasks(masks: readonly ArrayLike<number>[]): NeuronSelection {
    return new NeuronSelection(masks.map((m) => Uint8Array.from(m, (v) => (v ? 1 : 0))));
  }

  /** All kept but the listed neurons (per hidden layer; indices checked against `sizes`). */
  static removing(sizes: readonly number[], removed: readonly (readonly number[])[]): NeuronSelection {
    if (removed.length !== sizes.length) throw new ShapeError(`Expected removals for ${sizes.length} hidden layers but received ${removed.length}`);
    const sel = NeuronSelection.all(sizes);
    removed.forEach((r, i) => {
      const mask = sel.keep[i]!;
      for (const j of r) {
        if (!Number.isInteger(j) || j < 0 || j >= mask.length) throw new ArgumentError(`Neuron index ${j} is outside hidden layer ${i} (size ${mask.length})`);
        mask[j] = 0;
      }
    });
    return sel;
  }

  /** Number of hidden layers. */
  get layers(): number {
    return this.keep.length;
  }

  /** Neurons per hidden layer before pruning. */
  sizes(): number[] {
    return this.keep.map((m) => m.length);
  }

  /** Kept neuron indices of hidden layer i, ascending. */
  keptIndices(i: number): number[] {
    return indicesWhere(this.keep[i]!, 1);
  }

  /** Removed neuron indices of hidden layer i, ascending. */
  removedIndices(i: number): number[] {
    return indicesWhere(this.keep[i]!, 0);
  }

  /** Neurons kept in hidden layer i. */
  keptCount(i: number): number {
    let c = 0;
    for (const v of this.keep[i]!) c += v;
    return c;
  }

  /** Whether hidden layer i loses any neuron. */
  prunes(i: number): boolean {
    return this.keptCount(i) < this.keep[i]!.length;
  }

  /** Parameters of an MLP with layer sizes `sizes` (input, hidden…, output) after this selection. */
  paramsAfter(sizes: readonly number[]): number {
    if (sizes.length !== this.layers + 2) throw new ShapeError(`Expected ${this.layers + 2} layer sizes but received ${sizes.length}`);
    const s = sizes.map((n, i) => (i > 0 && i <= this.layers ? this.keptCount(i - 1) : n));
    let p = 0;
    for (let i = 0; i + 1 < s.length; i++) p += s[i]! * s[i + 1]! + s[i + 1]!;
    return p;
  }
}

function indicesWhere(mask: Uint8Array, v: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < mask.length; j++) if (mask[j] === v) out.push(j);
  return out;
}
