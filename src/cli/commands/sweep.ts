// `trimnet sweep`: not built yet (see the open issues).
import type { Command } from 'commander';
import { notYet } from '../util.js';

export function register(program: Command): void {
  program.command('sweep').description('(not built yet)').allowUnknownOption().action(notYet('sweep'));
}
