// Runs the built CLI (bin/trimnet.js; needs `npm run build:ts`) in a child process, for the CLI
// test files.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

const bin = join(__dirname, '..', '..', 'bin', 'trimnet.js');

/** A runner for `trimnet …` in `cwd`; `env` is added to this process's environment. */
export function cliRunner(cwd: string, env: Record<string, string> = {}): (...args: string[]) => CliResult {
  return (...args) => {
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd, env: { ...process.env, ...env } });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
}

/** Exit status 1 and exactly one stderr line, "trimnet: …", matching msg. */
export function expectOneLineError(r: CliResult, msg: RegExp): void {
  expect(r.code).toBe(1);
  const lines = r.err.trim().split('\n');
  expect(lines, r.err).toHaveLength(1);
  expect(lines[0]).toMatch(/^trimnet: /);
  expect(lines[0]).toMatch(msg);
}
