// Small helpers shared by the CLI commands: the one numeric option parser, tables, JSON, output.
import { expected } from '../errors.js';
import { checkWritable, writeFileAtomic } from '../io/atomic.js';

/** Prints rows as an aligned text table. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = header.map((_, j) => Math.max(...cells.map((r) => (r[j] ?? '').length)));
  // Numbers right-aligned, text left-aligned.
  const numeric = (c: string) => /^[-+]?[\d.,]+(e[-+]?\d+)?%?$/i.test(c);
  const line = (r: string[]) => r.map((c, j) => (numeric(c) ? c.padStart(widths[j]!) : c.padEnd(widths[j]!))).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Checks, before any work starts, that each output path can be written: not an input, not a
 * directory, in a directory that exists and takes new files. Undefined entries are skipped.
 */
export function checkOutputs(outputs: readonly (string | undefined)[], inputs: readonly string[] = []): void {
  for (const out of outputs) if (out !== undefined) checkWritable(out, inputs);
}

/**
 * Writes an output file atomically (temp file + rename) and refuses to write over any of
 * `inputs` (the files this command read): one clear error instead of a clobbered input.
 */
export function writeOutput(path: string, data: Uint8Array | string, inputs: readonly string[] = []): void {
  writeFileAtomic(path, data, { inputs });
}

// ---- numbers on the command line ------------------------------------------------------------

/** Plain decimal notation only: "16", "-0.5", ".5", "1e-3". Not "0x10", "0b1", "Infinity", "". */
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

export interface NumberRule {
  /** Whole numbers only. */
  integer?: boolean;
  /** Inclusive bounds. */
  min?: number;
  max?: number;
  /** Exclusive lower bound (a rate or a ratio that must be > 0). */
  above?: number;
}

/** The rule in words, once, so every way of breaking it gets the same message. */
export function describeRule({ integer, min, max, above }: NumberRule): string {
  const kind = integer ? 'an integer' : 'a number';
  if (min !== undefined && max !== undefined) return `${kind} in [${min}, ${max}]`;
  if (above !== undefined && max !== undefined) return `${kind} in (${above}, ${max}]`;
  if (above !== undefined) return `${kind} > ${above}`;
  if (min !== undefined) return `${kind} ≥ ${min}`;
  if (max !== undefined) return `${kind} ≤ ${max}`;
  return integer ? 'an integer' : 'a finite number';
}

/** Parses `v` as `flag`'s value under `rule`; throws "Expected <rule> for <flag> but received …". */
export function parseNumber(flag: string, v: string, rule: NumberRule = {}): number {
  const s = v.trim();
  const n = Number(s);
  const ok =
    DECIMAL.test(s) &&
    Number.isFinite(n) &&
    (!rule.integer || Number.isInteger(n)) &&
    (rule.min === undefined || n >= rule.min) &&
    (rule.max === undefined || n <= rule.max) &&
    (rule.above === undefined || n > rule.above);
  if (!ok) throw expected(describeRule(rule), flag, v);
  return n;
}

/** Commander parser for a numeric option: the one way the CLI reads a number. */
export function numberOption(flag: string, rule: NumberRule = {}): (v: string) => number {
  return (v) => parseNumber(flag, v, rule);
}

/** Commander parser for an integer option (default: ≥ 1). */
export function intOption(flag: string, { min = 1, max }: { min?: number; max?: number } = {}): (v: string) => number {
  return numberOption(flag, { integer: true, min, ...(max !== undefined ? { max } : {}) });
}

/** Commander parser for a comma-separated list of numbers under one rule: "0,0.05,0.1". */
export function numberListOption(flag: string, rule: NumberRule = {}, example = '0,0.05,0.1'): (v: string) => number[] {
  const what = `comma-separated numbers, each ${describeRule(rule)}, such as ${example}`;
  return (v) => {
    const parts = v.split(',');
    if (v.trim() === '' || parts.some((p) => p.trim() === '')) throw expected(what, flag, v);
    return parts.map((p) => {
      try {
        return parseNumber(flag, p, rule);
      } catch {
        throw expected(what, flag, v);
      }
    });
  };
}

/** "512,256" -> [512, 256] (hidden layer sizes; "none" for no hidden layer). */
export function parseLayers(v: string): number[] {
  if (v.trim() === 'none') return [];
  return numberListOption('--layers', { integer: true, min: 1 }, '512,256 (or none)')(v);
}


/** "1 epoch", "3 epochs". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
