// Shared by the pruning commands (stats, prune, sweep, l2): option parsers and loading.
import type { Command } from 'commander';
import { expected } from '../../errors.js';
import { STATISTICS, type Statistic } from '../../prune/stats.js';
import { intOption, numberOption, parseNumber } from '../util.js';

export function statisticOption(v: string): Statistic {
  if (!(STATISTICS as readonly string[]).includes(v)) throw expected(`one of ${STATISTICS.join(', ')}`, '--statistic', v);
  return v as Statistic;
}

/** "mean,apoz" -> ['mean', 'apoz'] (sweep: one series per statistic). */
export function statisticsOption(v: string): Statistic[] {
  const parts = v.split(',').map((s) => s.trim());
  if (parts.some((p) => !(STATISTICS as readonly string[]).includes(p))) throw expected(`one or more of ${STATISTICS.join(', ')}, comma-separated`, '--statistic', v);
  return [...new Set(parts as Statistic[])];
}

/** A λ is a number ≥ 0; for APoZ (and relative statistics) also ≤ 1. Checked with the flag's name. */
export function checkThreshold(flag: string, lambda: number, statistic: Statistic, relative: boolean): void {
  if (statistic === 'apoz' && lambda > 1) throw expected('a number in [0, 1] (APoZ is a fraction of samples)', flag, lambda);
  if (relative && lambda > 1) throw expected('a number in [0, 1] (--relative divides by the layer maximum)', flag, lambda);
}

/** --target-params: a fraction in (0, 1] or a whole number of parameters > 1. */
export function targetParamsOption(v: string): number {
  const rule = 'a fraction in (0, 1] or a whole number of parameters > 1';
  const n = (() => {
    try {
      return parseNumber('--target-params', v, { above: 0 });
    } catch {
      return NaN;
    }
  })();
  if (Number.isNaN(n) || (n > 1 && !Number.isInteger(n))) throw expected(rule, '--target-params', v);
  return n;
}

/** The options every activation-pruning command shares. */
export function addPruneOptions(cmd: Command): Command {
  return cmd
    .option('--data <name|dir>', "'mini' (bundled), 'fashion-mnist' (full set) or a directory of IDX files", 'mini')
    .option('--relative', 'compare statistic / layer max instead of the raw value')
    .option('--compensate-bias', "fold each removed neuron's mean output into the next layer's bias")
    .option('--reconstruct', "refit each layer after a pruned one by ridge least squares (calibration: training images)")
    .option('--ridge <r>', 'relative ridge for --reconstruct: λ = r × the mean diagonal of the Gram matrix (as align --ridge)', numberOption('--ridge', { min: 0 }), 1e-3)
    .option('--calib <n>', 'calibration images for --reconstruct (first n training images)', intOption('--calib'), 10000)
    .option('--stats-limit <n>', 'collect statistics on the first n training images only', intOption('--stats-limit'));
}

export interface PruneCliOptions {
  data: string;
  relative?: boolean;
  compensateBias?: boolean;
  reconstruct?: boolean;
  ridge: number;
  calib: number;
  statsLimit?: number;
  json?: boolean;
}
