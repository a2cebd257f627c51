// `trimnet` command line. Each command lives in src/cli/commands/<name>.ts and registers itself
// on the program. Every error ends with one `trimnet: …` line and exit code 1 — commander's
// own usage errors too — never a stack dump.

import { Command, CommanderError } from 'commander';
import { setBackend } from '../backend/registry.js';
import { BACKEND_NAMES, type BackendName } from '../backend/types.js';
import { TrimnetError, expected } from '../errors.js';
import { commands } from './commands/index.js';

/** Commander's codes for --help and --version: not errors, their text is already printed. */
const NOT_ERRORS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version', 'commander.executeSubCommandAsync']);

/** --backend NAME: checked here so a bad name blames the flag, not TRIMNET_BACKEND. */
function useBackend(name: string): void {
  if (!(BACKEND_NAMES as readonly string[]).includes(name)) throw expected(`one of ${BACKEND_NAMES.join(', ')}`, '--backend', name);
  try {
    setBackend(name as BackendName);
  } catch (err) {
    if (err instanceof TrimnetError) throw new TrimnetError(err.code, `--backend ${name}: ${err.message}`, { cause: err });
    throw err;
  }
  process.env.TRIMNET_BACKEND = name;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('trimnet')
    .description('Prune trained MLPs and align embeddings from different models, on native C++/CUDA kernels.')
    .version('0.1.0')
    .option('--backend <name>', 'force a backend: cuda, cpu, gpujs or js (also TRIMNET_BACKEND)')
    .exitOverride()
    // Usage errors are not printed by commander: main() prints them as one `trimnet:` line.
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: () => {} });
  program.hook('preAction', (_this, action) => {
    const backend = action.optsWithGlobals().backend as string | undefined;
    if (backend !== undefined) useBackend(backend);
  });
  for (const register of commands) register(program);
  return program;
}

/** Commander's "error: unknown option '--x'\n(Did you mean --y?)" as one line without "error:". */
function usageLine(err: CommanderError): string {
  return err.message.replace(/^error:\s*/, '').split('\n').map((s) => s.trim()).filter(Boolean).join(' ');
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (NOT_ERRORS.has(err.code)) return err.exitCode;
      process.stderr.write(`trimnet: ${usageLine(err)} (see trimnet --help)\n`);
      return 1;
    }
    if (err instanceof TrimnetError) {
      process.stderr.write(`trimnet: ${err.message}\n`);
      return 1;
    }
    const e = err as NodeJS.ErrnoException;
    if (e && typeof e.code === 'string' && e.code.startsWith('E') && e.message) {
      process.stderr.write(`trimnet: ${e.message}\n`); // file system errors (ENOENT, EACCES, ...)
      return 1;
    }
    process.stderr.write(`trimnet: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env.TRIMNET_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
