// The CLI's commands, in the order `--help` lists them.
import type { Command } from 'commander';
import { register as align } from './align.js';
import { register as bench } from './bench.js';
import { register as demo } from './demo.js';
import { register as embed } from './embed.js';
import { register as evaluate } from './eval.js';
import { register as exportModel } from './export.js';
import { register as info } from './info.js';
import { register as l2 } from './l2.js';
import { register as prune } from './prune.js';
import { register as stats } from './stats.js';
import { register as sweep } from './sweep.js';
import { register as train } from './train.js';

export const commands: ((program: Command) => void)[] = [train, evaluate, stats, prune, sweep, l2, exportModel, embed, align, bench, info, demo];
