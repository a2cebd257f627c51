#!/usr/bin/env node
// Build step run by `npm install` (prepare) and `npm run build`.
// 1. TypeScript -> dist/ (must succeed).
// 2. The native addon with cmake-js (CUDA too where nvcc is found, unless TRIMNET_CUDA=OFF).
//    If the C++ build fails, install still succeeds: one clear warning, and the library runs
//    on the gpujs/js fallbacks.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeOnly = process.argv.includes('--native-only');
const bin = (name) => join(root, 'node_modules', '.bin', name);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  return r.status === 0;
}

if (!nativeOnly) {
  if (!run(bin('tsc'), ['-p', 'tsconfig.json'])) {
    console.error('trimnet: TypeScript build failed');
    process.exit(1);
  }
}

if (process.env.TRIMNET_NATIVE === 'OFF') {
  console.warn('trimnet: TRIMNET_NATIVE=OFF, native addon not built; using the js/gpujs backends');
  process.exit(0);
}

const defines = [];
// Always pass TRIMNET_CUDA so a fallback build (OFF, below) does not stick in the CMake cache.
const cudaWanted = (process.env.TRIMNET_CUDA ?? 'ON').toUpperCase() !== 'OFF';
if (process.env.TRIMNET_CUDA_ARCHITECTURES) defines.push(`--CDTRIMNET_CUDA_ARCHITECTURES=${process.env.TRIMNET_CUDA_ARCHITECTURES}`);
if (process.env.TRIMNET_SANITIZE) defines.push(`--CDTRIMNET_SANITIZE=${process.env.TRIMNET_SANITIZE}`);
const debug = process.env.TRIMNET_DEBUG ? ['--debug'] : [];
const parallel = ['--parallel', String(Math.max(1, Number(process.env.TRIMNET_BUILD_JOBS) || 2))];

const cmakeJs = bin('cmake-js');
// configure (always, so a changed TRIMNET_CUDA reaches the CMake cache) then an incremental build.
const compile = (cuda) => {
  const flags = [...debug, ...defines, `--CDTRIMNET_CUDA=${cuda ? 'ON' : 'OFF'}`];
  return run(cmakeJs, ['configure', ...flags]) && run(cmakeJs, ['build', ...debug, ...parallel]);
};
let ok = existsSync(cmakeJs) && compile(cudaWanted);
if (!ok && existsSync(cmakeJs) && cudaWanted) {
  // The CUDA part failed (e.g. a toolkit too old for the host compiler): keep the CPU addon.
  console.warn(
    '\ntrimnet: WARNING: building the CUDA kernels failed; retrying without them (TRIMNET_CUDA=OFF). ' +
      'The cpu backend is unaffected; the cuda backend will report "not built with CUDA".\n',
  );
  ok = compile(false);
}
if (!ok && existsSync(cmakeJs)) {
  // Last resort for a stale build directory: clean, configure and build from scratch.
  ok = run(cmakeJs, ['rebuild', ...debug, ...parallel, ...defines, `--CDTRIMNET_CUDA=${cudaWanted ? 'ON' : 'OFF'}`]);
}
if (!ok) {
  console.warn(
    '\ntrimnet: WARNING: the native addon could not be built; trimnet will run on the slower ' +
      'gpujs/js backends. Needs cmake >= 3.18 and a C++17 compiler (apt-get install cmake g++). ' +
      'Run `npm run build:native` to retry and see the full error.\n',
  );
}
