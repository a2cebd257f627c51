#!/usr/bin/env bash
# Builds .device/, the one folder a GPU session carries to the device machine for
# bench/gpu/device-check.sh (the device has nvcc, CMake and PyTorch, but no Node.js, no npm and no
# network; the device tool sends the git working tree plus the `carry` paths, 64 MiB in all):
#
#   .device/node.xz             this machine's node, stripped of debug symbols, xz -9e
#   .device/pack.tar.xz         dist/ (the compiled library and CLI; no maps, .d.ts or examples) and the
#                               node_modules the GPU test files and the CLI need: vitest and its
#                               dependencies, commander, cli-progress, node-addon-api and
#                               node-api-headers (the addon's headers: no cmake-js needed there)
#   .device/trimnet-sm90.node   a fallback addon built here for sm_90 with the device's recipe
#                               (bench/gpu/build-addon.sh); used there only if its own build fails
#   .device/MANIFEST            what was packed, from which commit, and a hash of src/ so that
#                               device-check.sh can say when dist/ is older than the tree it got
#
# Run in the repo root of the checkout the session's device calls send, after `npm run build`:
#   bash scripts/device-pack.sh     # env: NODE_BIN (default: node on PATH), SKIP_ADDON=1, JOBS (2)
# Prints each part's size and the total that would travel (tree + .device; must be < 64 MiB).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
dev="$root/.device"
node_bin="$(readlink -f "${NODE_BIN:-$(command -v node)}")"
jobs="${JOBS:-2}"
mkdir -p "$dev"
git check-ignore -q .device || { echo "device-pack: .device/ is not ignored by git (.gitignore)" >&2; exit 1; }
[[ -f dist/src/index.js && -f dist/src/cli/main.js ]] || { echo "device-pack: no dist/ (run npm run build first)" >&2; exit 1; }
hash_src() { find src -type f | LC_ALL=C sort | xargs sha1sum | sha1sum | cut -c1-40; }
if [[ -n "$(find src -newer dist/src/index.js -type f | head -1)" ]]; then
  echo "device-pack: src/ has files newer than dist/ (run npm run build:ts first)" >&2; exit 1
fi

# 1. node: reused when the same binary was packed before (xz -9e takes about a minute).
node_sum="$(sha1sum "$node_bin" | cut -c1-40)"
if [[ -f "$dev/node.xz" && -f "$dev/MANIFEST" ]] && grep -qx "node_sha1=$node_sum" "$dev/MANIFEST"; then
  echo "node.xz: unchanged ($node_bin)"
else
  echo "node.xz: packing $node_bin ($("$node_bin" --version)) ..."
  strip -o "$dev/node.tmp" "$node_bin"
  xz -9e -T"$jobs" -c "$dev/node.tmp" >"$dev/node.xz.tmp"
  rm "$dev/node.tmp"
  mv "$dev/node.xz.tmp" "$dev/node.xz"
fi

# 2. node_modules: the dependency closure (dependencies + installed optionalDependencies,
#    resolved the way Node does: nested node_modules first, then upwards).
mods="$("$node_bin" --input-type=module - vitest commander cli-progress node-addon-api node-api-headers <<'JS'
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
const root = process.cwd();
const seen = new Set();
const missing = [];
function resolve(from, name) {
  for (let d = from; ; d = dirname(d)) {
    const p = join(d, 'node_modules', name);
    if (existsSync(join(p, 'package.json'))) return p;
    if (d === root || d === dirname(d)) return null;
  }
}
function walk(dir) {
  if (seen.has(dir)) return;
  seen.add(dir);
  const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const deps = [...Object.keys(pj.dependencies ?? {}).map((n) => [n, false]), ...Object.keys(pj.optionalDependencies ?? {}).map((n) => [n, true])];
  for (const [name, optional] of deps) {
    const p = resolve(dir, name);
    if (p) walk(p);
    else if (!optional) missing.push(`${relative(root, dir)} needs ${name}`);
  }
}
for (const name of process.argv.slice(2)) {
  const p = resolve(root, name);
  if (!p) missing.push(`the project needs ${name}`);
  else walk(p);
}
if (missing.length) {
  console.error(`device-pack: not installed: ${missing.join(', ')} (run npm ci)`);
  process.exit(1);
}
console.log([...seen].map((d) => relative(root, d)).sort().join('\n'));
JS
)"
echo "pack.tar.xz: dist + $(wc -l <<<"$mods") packages ..."
# shellcheck disable=SC2086
tar -cf - --exclude='*.map' --exclude='*.d.ts' --exclude=dist/examples dist $mods |
  xz -9 -T"$jobs" >"$dev/pack.tar.xz.tmp"
mv "$dev/pack.tar.xz.tmp" "$dev/pack.tar.xz"

# 3. the fallback addon (the device builds its own; this one is used only if that fails).
if [[ ${SKIP_ADDON:-0} != 1 ]]; then
  echo "trimnet-sm90.node: building (bench/gpu/build-addon.sh, sm_90, in build-device/) ..."
  if bash bench/gpu/build-addon.sh "$root/build-device" 90-real "$jobs" >"$root/build-device.log" 2>&1; then
    cp "$root/build-device/Release/trimnet.node" "$dev/trimnet-sm90.node"
  else
    echo "device-pack: the sm_90 addon did not build here (see build-device.log); packing without the fallback" >&2
    rm -f "$dev/trimnet-sm90.node"
  fi
fi

{
  echo "packed=$(date -u +%FT%TZ) commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo '+changes')"
  echo "node=$("$node_bin" --version)"
  echo "node_sha1=$node_sum"
  echo "src_sha1=$(hash_src)"
  echo "packages=$(tr '\n' ' ' <<<"$mods")"
} >"$dev/MANIFEST"

tree=$(git ls-files -co --exclude-standard -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
carry=$(du -sb "$dev" | cut -f1)
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
for f in "$dev"/*; do printf '  %-20s %s\n' "$(basename "$f")" "$(mib "$(stat -c %s "$f")")"; done
echo "travels: tree $(mib "$tree") + .device $(mib "$carry") = $(mib $((tree + carry))) (limit 64 MiB)"
(( tree + carry < 60 * 1048576 )) || { echo "device-pack: over budget" >&2; exit 1; }
