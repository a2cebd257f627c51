// Shared pieces of the property-based fuzz tests: run counts, byte mutations, and the one
// property every reader must hold on any input — a typed TrimnetError, or a parse whose shapes
// agree with its data; never another exception, a crash or a hang.
import fc from 'fast-check';
import { expect } from 'vitest';
import { TrimnetError } from '../../src/errors.js';

/** Runs per property: a few hundred in `npm test`, TRIMNET_FUZZ_RUNS (e.g. 10000) in `npm run fuzz`. */
export const RUNS = Number(process.env.TRIMNET_FUZZ_RUNS) > 0 ? Number(process.env.TRIMNET_FUZZ_RUNS) : 300;
/** Seed from TRIMNET_FUZZ_SEED, so a failure can be replayed. */
export const SEED = process.env.TRIMNET_FUZZ_SEED ? Number(process.env.TRIMNET_FUZZ_SEED) : undefined;
export const params = { numRuns: RUNS, seed: SEED, endOnFailure: true } as const;
/** Per-file test timeout: the long mode needs more than vitest's default. */
export const TIMEOUT = Math.max(60_000, RUNS * 40);

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Counts of outcomes, printed at the end of each file (the closing note quotes them). */
export class Tally {
  ok = 0;
  typed = 0;
  readonly codes = new Map<string, number>();
  constructor(readonly name: string) {}
  toString(): string {
    return `${this.name}: ${this.ok + this.typed} inputs, ${this.ok} parsed consistently, ${this.typed} typed errors (${[...this.codes].map(([c, n]) => `${c} ${n}`).join(', ')})`;
  }
}

/**
 * Calls `parse(input)`: it must either return a value that `consistent` accepts (shape matches
 * data) or throw a TrimnetError. Anything else fails the property.
 */
export function mustBeTypedOrConsistent<T>(tally: Tally, parse: () => T, consistent: (v: T) => void): void {
  let value: T;
  try {
    value = parse();
  } catch (err) {
    if (!(err instanceof TrimnetError)) {
      throw new Error(`untyped ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    }
    expect(typeof err.code).toBe('string');
    expect(err.message.length).toBeGreaterThan(0);
    tally.typed++;
    tally.codes.set(err.code, (tally.codes.get(err.code) ?? 0) + 1);
    return;
  }
  consistent(value);
  tally.ok++;
}

export type Mutation = (b: Uint8Array) => Uint8Array;

/** Mutations of a valid file: truncation, byte flips, spliced junk, overwritten 2/4/8-byte words. */
export function mutation(): fc.Arbitrary<Mutation> {
  const truncate = fc.nat().map((n): Mutation => (b) => b.slice(0, b.length ? n % b.length : 0));
  const flips = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map(
    (fl): Mutation => (b) => {
      const c = b.slice();
      for (const [p, v] of fl) if (c.length) c[p % c.length] = v;
      return c;
    },
  );
  const splice = fc.tuple(fc.nat(), fc.nat({ max: 64 }), fc.uint8Array({ maxLength: 64 })).map(
    ([p, del, ins]): Mutation => (b) => {
      const at = b.length ? p % (b.length + 1) : 0;
      const c = new Uint8Array(b.length - Math.min(del, b.length - at) + ins.length);
      c.set(b.subarray(0, at));
      c.set(ins, at);
      c.set(b.subarray(at + Math.min(del, b.length - at)), at + ins.length);
      return c;
    },
  );
  const word = fc
    .tuple(fc.nat({ max: 64 }), fc.constantFrom(2, 4, 8), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.boolean())
    .map(([p, size, v, le]): Mutation => (b) => {
      const c = b.slice();
      if (p + size > c.length) return c;
      const dv = new DataView(c.buffer, c.byteOffset, c.byteLength);
      if (size === 2) dv.setUint16(p, Number(v & 0xffffn), le);
      else if (size === 4) dv.setUint32(p, Number(v & 0xffffffffn), le);
      else dv.setBigUint64(p, v, le);
      return c;
    });
  const one = fc.oneof(truncate, flips, splice, word);
  return fc.array(one, { minLength: 1, maxLength: 3 }).map((ms): Mutation => (b) => ms.reduce((acc, m) => m(acc), b));
}

/** Integers that make interesting dimensions: small, zero, boundaries, huge, negative, fractional. */
export function dim(): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 8 }) },
    { weight: 1, arbitrary: fc.constantFrom(2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 1e300, -1, -(2 ** 31), 0.5, 1.5) },
    { weight: 1, arbitrary: fc.integer() },
  );
}
