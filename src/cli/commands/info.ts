// `trimnet info`: backends (and why any is unavailable), the build, CPU features and threads.
import os from 'node:os';
import type { Command } from 'commander';
import { loadAddon } from '../../backend/addon.js';
import type { GpujsBackend } from '../../backend/gpujs.js';
import { availableBackends, getBackend, tryBackend } from '../../backend/registry.js';
import { printJson, table } from '../util.js';

export function gatherInfo() {
  const { addon, path, error } = loadAddon();
  const native = addon ? addon.info() : null;
  const gpujs = tryBackend('gpujs') as GpujsBackend | null;
  return {
    version: '0.1.0',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    backend: getBackend().name,
    backends: availableBackends(),
    addon: addon ? { path, ...native } : { error },
    gpujs: gpujs ? { version: gpujs.version, mode: gpujs.mode } : null,
  };
}

export function register(program: Command): void {
  program
    .command('info')
    .description('show the backends (and why any is unavailable), the build, CPU features and threads')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const info = gatherInfo();
      if (opts.json) return printJson(info);
      console.log(`trimnet ${info.version} on Node ${info.node} (${info.platform})`);
      console.log(`CPU: ${info.cpu}, ${info.cores} cores`);
      console.log(`backend in use: ${info.backend}\n`);
      console.log(table(['backend', 'available', 'reason'], info.backends.map((b) => [b.name, b.available ? 'yes' : 'no', b.reason ?? ''])));
      const a = info.addon;
      if ('error' in a && a.error) {
        console.log(`\naddon: not loaded (${a.error})`);
      } else if ('kernel' in a) {
        console.log(`\naddon: ${a.path}`);
        console.log(`  CUDA compiled in: ${a.cudaCompiled ? 'yes' : 'no'} (${a.cudaStatus})`);
        console.log(`  CPU features: ${a.cpuFeatures?.join(' ') || 'baseline'}`);
        console.log(`  GEMM kernel: ${a.kernel}, threads: ${a.threads}, L2 per core: ${Math.round((a.l2CacheBytes ?? 0) / 1024)} KiB`);
      }
      if (info.gpujs) console.log(`gpu.js ${info.gpujs.version}, mode: ${info.gpujs.mode}`);
    });
}
