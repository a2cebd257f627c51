// Per-layer activations of an MLP: what follows each hidden Linear layer (the last layer is
// linear). A spec is one name for every hidden layer, or one entry per hidden layer; leaky_relu
// carries its negative slope (PyTorch's default 0.01 unless given).

import { ACTIVATIONS, type Activation, DEFAULT_LEAKY_SLOPE } from '../backend/types.js';
import { ArgumentError, FormatError, expected } from '../errors.js';

/** The activation after one hidden layer. `slope` matters only for leaky_relu. */
export interface LayerActivation {
  readonly name: Activation;
  readonly slope: number;
}

/** One activation for every hidden layer, or one per hidden layer. */
export type ActivationSpec = Activation | LayerActivation | readonly (Activation | LayerActivation)[];

export const IDENTITY: LayerActivation = Object.freeze({ name: 'identity', slope: DEFAULT_LEAKY_SLOPE });

function one(a: Activation | LayerActivation, slope: number, what: string): LayerActivation {
  const name = typeof a === 'string' ? a : a?.name;
  if (!(ACTIVATIONS as readonly string[]).includes(name as string)) throw expected(`one of ${ACTIVATIONS.join(', ')}`, what, name);
  const s = typeof a === 'string' ? slope : (a.slope ?? slope);
  if (typeof s !== 'number' || !Number.isFinite(s)) throw expected('a finite number', `${what} slope`, s);
  return Object.freeze({ name, slope: s });
}

/** The spec as one LayerActivation per hidden layer (`hidden` of them). */
export function resolveActivations(spec: ActivationSpec, hidden: number, leakySlope = DEFAULT_LEAKY_SLOPE): LayerActivation[] {
  if (Array.isArray(spec)) {
    if (spec.length !== hidden) throw new ArgumentError(`Expected ${hidden} activations (one per hidden layer) but received ${spec.length}`);
    return spec.map((a, i) => one(a, leakySlope, `activation of hidden layer ${i}`));
  }
  const a = one(spec as Activation | LayerActivation, leakySlope, 'activation');
  return new Array<LayerActivation>(hidden).fill(a);
}

/** "relu", "leaky_relu(0.2)": how a layer's activation is written in metadata and messages. */
export function activationLabel(a: LayerActivation): string {
  return a.name === 'leaky_relu' ? `leaky_relu(${a.slope})` : a.name;
}

/** One label when every hidden layer shares it, else the list: "relu" or "gelu,gelu,tanh". */
export function describeActivations(acts: readonly LayerActivation[]): string {
  const labels = acts.map(activationLabel);
  return labels.every((l) => l === labels[0]) ? (labels[0] ?? 'none') : labels.join(',');
}

/**
 * Parses a label list as describeActivations writes it ("relu", "leaky_relu(0.2)",
 * "gelu,gelu,tanh") or a JSON array of names / {name, slope} objects. One entry applies to every
 * hidden layer. `where` names the source in errors.
 */
export function parseActivations(text: string, hidden: number, where: string, Err: typeof ArgumentError | typeof FormatError = ArgumentError, leakySlope = DEFAULT_LEAKY_SLOPE): LayerActivation[] {
  let entries: (Activation | LayerActivation)[];
  const t = text.trim();
  if (t.startsWith('[')) {
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch {
      throw new Err(`${where}: '${text}' is not a JSON list of activations`);
    }
    if (!Array.isArray(v)) throw new Err(`${where}: expected a JSON list of activations`);
    entries = v as (Activation | LayerActivation)[];
  } else {
    entries = t.split(',').map((s) => {
      const m = /^\s*([a-z_]+)\s*(?:\(\s*([^)]*)\s*\))?\s*$/.exec(s);
      if (!m || (m[2] !== undefined && m[1] !== 'leaky_relu') || !(ACTIVATIONS as readonly string[]).includes(m[1]!)) {
        throw new Err(`${where}: unknown activation '${s.trim()}' (expected one of ${ACTIVATIONS.join(', ')}; leaky_relu(SLOPE) for a slope)`);
      }
      const name = m[1] as Activation;
      return m[2] !== undefined ? { name, slope: Number(m[2]) } : name;
    });
  }
  try {
    return resolveActivations(entries.length === 1 ? entries[0]! : entries, hidden, leakySlope);
  } catch (e) {
    throw new Err(`${where}: ${(e as Error).message}`);
  }
}
