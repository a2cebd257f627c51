// The demo, step by step, in order. A new step is one file in this folder and one line here.
import { alignStep } from './align.js';
import { backendStep } from './backend.js';
import type { DemoStep } from './context.js';
import { pruneStep } from './prune.js';
import { dataStep, evalStep, trainStep } from './train.js';

export const demoSteps: DemoStep[] = [
  backendStep,
  dataStep,
  trainStep,
  evalStep,
  pruneStep,
  alignStep,
];
