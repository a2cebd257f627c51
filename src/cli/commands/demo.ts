// `trimnet demo`: the main job on the bundled data, as a list of steps (src/cli/demo/steps.ts):
// the backend, the data, training a small MLP, evaluating it, and whatever later steps add.
import type { Command } from 'commander';
import type { DemoContext } from '../demo/context.js';
import { demoSteps } from '../demo/steps.js';
import { intOption, printJson } from '../util.js';

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the main job on the bundled data: train a small MLP, evaluate it, and more')
    .option('--epochs <n>', 'training epochs', intOption('--epochs'), 3)
    .option('--seed <n>', 'seed', intOption('--seed', { min: 0 }), 0)
    .option('--json', 'print every step’s numbers as JSON at the end instead of the report')
    .action(async (o: { epochs: number; seed: number; json?: boolean }) => {
      const ctx: DemoContext = {
        log: (line) => {
          if (!o.json) console.log(line);
        },
        results: {},
        opts: { epochs: o.epochs, seed: o.seed },
      };
      ctx.log('trimnet demo');
      for (const step of demoSteps) await step.run(ctx);
      if (o.json) printJson(ctx.results);
    });
}
