#!/usr/bin/env node
// One run per machine (issue 11, item 7): every CPU figure the issue asks for, per ISA this CPU
// can run, each against its peer in the same run, gathered into one file per ISA:
// bench/results/machine-<isa>-<cpu>.md (older machines' files are kept: the name carries the CPU).
//
//   GEMM 64³…2048³ vs numpy/OpenBLAS (like for like: Haswell kernels for our avx2)  gemm.bench.mjs
//   predictOne p50/p99, the 72 %-pruned model, batch-1024 vs onnxruntime-node        inference.bench.mjs
//   SVD 256², 768², 1024², 2000×768 vs LAPACK sgesdd (2 threads and 1 thread)         svd.bench.mjs
//
// Each suite runs as its own process with TRIMNET_KERNEL set, so the kernel choice is the one a
// user with that CPU gets. Takes ~15 minutes per ISA on 2 cores; run it on a quiet machine.
//   npm run bench:machine [-- --quick] [-- --isa avx2] [-- --assemble (gather the latest files, run nothing)]
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { benchDir, cpuTag, machine } from './lib.mjs';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const assemble = argv.includes('--assemble'); // only gather the suites' latest result files
const only = argv.includes('--isa') ? argv[argv.indexOf('--isa') + 1] : null;
const { loadAddon } = await import(join(benchDir, '..', 'dist', 'src', 'backend', 'addon.js'));
const { addon } = loadAddon();
if (!addon) throw new Error('the native addon is not built (npm install)');
const features = addon.info().cpuFeatures;
const isas = [
  ...(['avx512f', 'avx512vl', 'avx512bw', 'avx512dq'].every((f) => features.includes(f)) ? ['avx512'] : []),
  ...(features.includes('avx2') && features.includes('fma') ? ['avx2'] : []),
].filter((i) => !only || i === only);
if (isas.length === 0) throw new Error(`no vector ISA to measure here (features: ${features.join(' ')})`);

const flags = (() => {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8').match(/^cpu family\s*:\s*(\d+)[\s\S]*?^model\s*:\s*(\d+)/m)?.slice(1, 3).join('/') ?? '';
  } catch {
    return '';
  }
})();
const suites = [
  ['gemm', [...(quick ? ['--quick'] : []), '--rounds', quick ? '1' : '3'], (isa) => `gemm-${isa}-${cpuTag()}`],
  ['inference', quick ? ['--quick'] : [], (isa) => `inference-${isa}-${cpuTag()}`],
  ['svd', quick ? ['--quick'] : [], () => 'svd'],
  ['svd', [...(quick ? ['--quick'] : []), '--single'], () => 'svd-single'],
];
// svd.bench.mjs writes one file whatever the kernel: each ISA's run is kept as <file>-<isa>-<cpu>.md
const kept = (file, isa) => (file.includes(isa) ? file : `${file}-${isa}-${cpuTag()}`);
for (const isa of isas) {
  const parts = [];
  for (const [suite, args, file] of suites) {
    if (!assemble) {
      console.log(`\n=== ${isa}: ${suite} ${args.join(' ')}`);
      const r = spawnSync(process.execPath, [join(benchDir, `${suite}.bench.mjs`), ...args], { stdio: 'inherit', env: { ...process.env, TRIMNET_KERNEL: isa } });
      if (r.status !== 0) throw new Error(`${suite} failed (exit ${r.status})`);
    }
    if (!assemble && kept(file(isa), isa) !== file(isa))
      copyFileSync(join(benchDir, 'results', `${file(isa)}.md`), join(benchDir, 'results', `${kept(file(isa), isa)}.md`));
    const text = readFileSync(join(benchDir, 'results', `${kept(file(isa), isa)}.md`), 'utf8');
    parts.push(text.replace(/^# /, '## ').replace(/\n#(#*) /g, '\n##$1 '));
  }
  const head = [
    `# Everything issue 11 measures, ${isa} kernels, one run`,
    '',
    `CPU: ${cpus()[0]?.model ?? 'unknown'} (${cpuTag()}, family/model ${flags}), ${cpus().length} cores; ${machine()}.`,
    `Kernel forced with TRIMNET_KERNEL=${isa}; features: ${features.join(' ')}; L2 ${addon.info().l2CacheBytes / 1024} KiB per core (as read by trimnet).`,
    `Date: ${new Date().toISOString().slice(0, 10)}. Every ratio is against a peer in the same run.`,
    '',
  ];
  const out = join(benchDir, 'results', `machine-${isa}-${cpuTag()}.md`);
  writeFileSync(out, [...head, ...parts].join('\n'));
  console.log(`\nwritten ${out}`);
}
