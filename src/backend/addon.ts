// Loads the native addon once, like better-sqlite3's binding loader: explicit path
// (TRIMNET_ADDON) -> local Release build -> local Debug build. Never throws: a missing or
// broken addon is recorded with its reason and the library falls back.
// TRIMNET_ADDON=none disables the addon (reason 'disabled by TRIMNET_ADDON=none').
// A binding whose entry points differ from their typed description (addon-api.ts: a stale
// build) is refused with the differences as its reason.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signatureMismatches, type NativeAddon } from './addon-api.js';

export type { NativeAddon } from './addon-api.js';

export interface AddonLoad {
  addon: NativeAddon | null;
  path: string | null;
  error: string | null;
  /** True when TRIMNET_ADDON=none turned the addon off (error then says so). */
  disabled?: boolean;
}

let cached: AddonLoad | null = null;

export function packageRoot(): string {
  // dist/src/backend/addon.js -> package root; also works from src/backend when run by vitest.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'CMakeLists.txt'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export function loadAddon(): AddonLoad {
  if (cached) return cached;
  if (process.env.TRIMNET_ADDON === 'none') {
    cached = { addon: null, path: null, error: 'disabled by TRIMNET_ADDON=none', disabled: true };
    return cached;
  }
  const root = packageRoot();
  const candidates = [
    process.env.TRIMNET_ADDON,
    join(root, 'build', 'Release', 'trimnet.node'),
    join(root, 'build', 'Debug', 'trimnet.node'),
  ].filter((p): p is string => typeof p === 'string' && p.length > 0);
  const require = createRequire(import.meta.url);
  const errors: string[] = [];
  for (const path of candidates) {
    if (!existsSync(path)) {
      if (path === process.env.TRIMNET_ADDON) errors.push(`${path}: no such file`);
      continue;
    }
    try {
      const addon = require(path) as NativeAddon;
      const mismatches = signatureMismatches(addon.signatures, addon.info().cudaCompiled);
      if (mismatches.length > 0) {
        errors.push(`${path}: entry points differ from src/backend/addon-api.ts (rebuild with \`npm run build:native\`): ${mismatches.join('; ')}`);
        continue;
      }
      cached = { addon, path, error: null };
      return cached;
    } catch (err) {
      errors.push(`${path}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
  }
  cached = {
    addon: null,
    path: null,
    error: errors.length ? errors.join('; ') : 'not built (run `npm run build:native`)',
  };
  return cached;
}
