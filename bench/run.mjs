#!/usr/bin/env node
// npm run bench [-- suite...]: runs bench/<suite>.bench.mjs (all of them by default), each
// measuring trimnet against its peers in the same run and writing bench/results/<suite>.md.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir } from './lib.mjs';

const all = readdirSync(benchDir).filter((f) => f.endsWith('.bench.mjs')).map((f) => f.replace('.bench.mjs', ''));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const suites = wanted.length ? wanted : all;
let failed = 0;
for (const s of suites) {
  if (!all.includes(s)) {
    console.error(`bench: no suite '${s}' (have: ${all.join(', ')})`);
    failed++;
    continue;
  }
  console.log(`\n=== bench: ${s}`);
  const r = spawnSync(process.execPath, [join(benchDir, `${s}.bench.mjs`), ...process.argv.slice(2).filter((a) => a.startsWith('-'))], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
