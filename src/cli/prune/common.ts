// Shared by the pruning commands (stats, prune, sweep, l2): option parsers and loading.
import type { Command } from 'commander';
import { expected } from '../../errors.js';
import { STATISTICS, type Statistic } from '../../prune/stats.js';

export function statisticOption(v: string): Statistic {
  if (!(STATISTICS as readonly string[]).includes(v)) throw expected(`one of ${STATISTICS.join(', ')}`, '--statistic', v);
  return v as Statistic;
}

/** "0,0.05,0.1" -> [0, 0.05, 0.1]; each a finite number ≥ 0. */
export function thresholdsOption(v: string): number[] {
  const parts = v.split(',').map((s) => s.trim());
  const out = parts.map(Number);
  if (parts.some((p) => p === '') || out.some((n) => !Number.isFinite(n) || n < 0)) throw expected('comma-separated numbers ≥ 0 such as 0,0.05,0.1', '--thresholds', v);
  return out;
}

/** A λ on the command line: a finite number ≥ 0 (NaN, negatives and words are refused). */
export function thresholdOption(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw expected('a finite number ≥ 0', name, v);
    return n;
  };
}

/** The options every activation-pruning command shares. */
export function addPruneOptions(cmd: Command): Command {
  return cmd
    .option('--data <name|dir>', "'mini' (bundled), 'fashion-mnist' (full set) or a directory of IDX files", 'mini')
    .option('--statistic <name>', 'mean, meanAbs or apoz (APoZ prunes where APoZ > λ)', statisticOption, 'mean' as Statistic)
    .option('--relative', 'compare statistic / layer max instead of the raw value')
    .option('--compensate-bias', "fold each removed neuron's mean output into the next layer's bias")
    .option('--reconstruct', "refit each layer after a pruned one by ridge least squares (calibration: training images)")
    .option('--ridge <r>', 'relative ridge for --reconstruct: λ = r × the mean diagonal of the Gram matrix (as align --ridge)', thresholdOption('--ridge'), 1e-3)
    .option('--calib <n>', 'calibration images for --reconstruct (first n training images)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw expected('an integer ≥ 1', '--calib', v);
      return n;
    }, 10000)
    .option('--stats-limit <n>', 'collect statistics on the first n training images only', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw expected('an integer ≥ 1', '--stats-limit', v);
      return n;
    });
}

export interface PruneCliOptions {
  data: string;
  statistic: Statistic;
  relative?: boolean;
  compensateBias?: boolean;
  reconstruct?: boolean;
  ridge: number;
  calib: number;
  statsLimit?: number;
  json?: boolean;
}
