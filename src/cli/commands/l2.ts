// `trimnet l2`: not built yet (see the open issues).
import type { Command } from 'commander';
import { notYet } from '../util.js';

export function register(program: Command): void {
  program.command('l2').description('(not built yet)').allowUnknownOption().action(notYet('l2'));
}
