// What the demo's steps share. Each step is `async (ctx) => void`: it reads what earlier steps
// left in ctx (the data, the trained model) and may leave more for later ones.
import type { Dataset } from '../../io/datasets.js';
import type { MLP } from '../../nn/mlp.js';

export interface DemoContext {
  /** Prints one line of the report. */
  log: (line: string) => void;
  /** The bundled Fashion-MNIST subset (set by the data step). */
  data?: Dataset;
  /** The model trained by the train step; later steps (prune, align) start from it. */
  model?: MLP;
  /** Numbers each step wants in the final summary, by step name. */
  results: Record<string, unknown>;
  /** Options from the command line. */
  opts: { epochs: number; seed: number };
}

export interface DemoStep {
  name: string;
  run: (ctx: DemoContext) => Promise<void>;
}
