// Small helpers shared by the CLI commands.
import { ACTIVATIONS, type Activation } from '../backend/types.js';
import { TrimnetError, expected } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';

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
 * Writes an output file atomically (temp file + rename) and refuses to write over any of
 * `inputs` (the files this command read): one clear error instead of a clobbered input.
 */
export function writeOutput(path: string, data: Uint8Array | string, inputs: readonly string[] = []): void {
  writeFileAtomic(path, data, { inputs });
}

/** Commander parser for a positive integer option. */
export function intOption(name: string, { min = 1 }: { min?: number } = {}): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw expected(`an integer ≥ ${min}`, name, v);
    return n;
  };
}

/** Commander parser for a finite number option in [min, max]. */
export function numberOption(name: string, { min = -Infinity, max = Infinity }: { min?: number; max?: number } = {}): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw expected(`a number in [${min}, ${max}]`, name, v);
    return n;
  };
}

/** "512,256" -> [512, 256] (hidden layer sizes; "" or "none" for no hidden layer). */
export function parseLayers(v: string): number[] {
  if (v.trim() === '' || v === 'none') return [];
  const sizes = v.split(',').map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw expected('comma-separated positive integers such as 512,256', '--layers', v);
  return sizes;
}

/** Validates an activation name from the command line. */
export function activationOption(v: string): Activation {
  if (!(ACTIVATIONS as readonly string[]).includes(v)) throw expected(`one of ${ACTIVATIONS.join(', ')}`, '--activation', v);
  return v as Activation;
}
