// `trimnet` command line. Each command lives in src/cli/commands/<name>.ts and registers itself
// on the program. Errors end with one clear line and exit code 1, never a stack dump.

import { Command, CommanderError } from 'commander';
import { TrimnetError } from '../errors.js';
import { commands } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('trimnet')
    .description('Prune trained MLPs and align embeddings from different models, on native C++/CUDA kernels.')
    .version('0.1.0')
    .option('--backend <name>', 'force a backend: cuda, cpu, gpujs or js (also TRIMNET_BACKEND)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.hook('preAction', (_this, action) => {
    const backend = action.optsWithGlobals().backend as string | undefined;
    if (backend) process.env.TRIMNET_BACKEND = backend;
  });
  for (const register of commands) register(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed.
      return err.exitCode === 0 ? 0 : 1;
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
