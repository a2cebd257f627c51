#!/usr/bin/env bash
# Dry run of the device call on this machine, as the device will see it: a copy of what the
# device tool sends (tracked + untracked-not-ignored files, plus the carried .device/), no
# network (unshare -n), no node/npm/npx on the PATH, an empty HOME (no ~/.npm, no ~/.cmake-js),
# then `bash bench/gpu/device-check.sh` there with OUT set. Without a GPU the driver stages and
# the cuda backend report "no device", the vitest GPU cases skip, and the Node round runs on cpu:
# what it shows is that unpacking, both builds (nvcc here too), the carried node_modules and the
# CLI work with nothing but the carry. Then it checks $OUT against the tool's limits (at most 8
# files, 16 MiB each, 2 folders deep, plain names).
#
#   bash scripts/device-pack.sh && bash scripts/device-dryrun.sh [SIM_DIR]    # default /tmp/trimnet-device-sim
#   env: DEVICE_BUDGET_S (default 900 here: 2 cores build slower than the device's 16)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sim="${1:-/tmp/trimnet-device-sim}"
cd "$root"
[[ -f .device/MANIFEST ]] || { echo "device-dryrun: no .device/ (run scripts/device-pack.sh)" >&2; exit 1; }
rm -rf "$sim"
mkdir -p "$sim/repo" "$sim/home" "$sim/out" "$sim/bin"

# What travels: the working tree as git sees it (files deleted but still tracked are left out), and the carry.
git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - | tar -xf - -C "$sim/repo"
cp -a .device "$sim/repo/.device"
echo "sent: tree $(du -sh --exclude=.device "$sim/repo" | cut -f1) + .device $(du -sh "$sim/repo/.device" | cut -f1)"

# A PATH like the device's: every command of this machine's PATH except Node's.
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  for f in "$d"/*; do
    n="$(basename "$f")"
    case "$n" in node | nodejs | npm | npx | corepack | yarn | pnpm | cmake-js) continue ;; esac
    [[ -x "$f" && ! -e "$sim/bin/$n" ]] && ln -s "$f" "$sim/bin/$n"
  done
done

t0=$(date +%s)
set +e
unshare -n env -i PATH="$sim/bin" HOME="$sim/home" OUT="$sim/out" TERM=dumb PYTHON=/usr/bin/python3 \
  DEVICE_BUDGET_S="${DEVICE_BUDGET_S:-900}" DEVICE_WORK="$sim/work" \
  bash -c 'cd "$0" && for c in node npm npx; do command -v $c >/dev/null && { echo "$c still on PATH"; exit 9; }; done; bash bench/gpu/device-check.sh' "$sim/repo" \
  >"$sim/transcript.log" 2>&1
rc=$?
set -e
echo "device-check.sh: exit $rc after $(($(date +%s) - t0)) s (transcript: $sim/transcript.log)"

# The tool's limits on what comes back from $OUT.
bad=0
count=$(find "$sim/out" -type f | wc -l)
((count <= 8)) || { echo "OUT: $count files (limit 8)"; bad=1; }
while IFS= read -r f; do
  rel="${f#"$sim/out/"}"
  size=$(stat -c %s "$f")
  printf '  $OUT/%-22s %8d bytes\n' "$rel" "$size"
  ((size <= 16 * 1048576)) || { echo "  too big: $rel"; bad=1; }
  [[ $(tr -cd / <<<"$rel" | wc -c) -le 2 ]] || { echo "  too deep: $rel"; bad=1; }
  [[ $rel =~ ^[A-Za-z0-9._/-]+$ ]] || { echo "  odd name: $rel"; bad=1; }
done < <(find "$sim/out" -type f | sort)
((bad == 0)) && echo "OUT fits the device tool's limits"
exit $((rc != 0 || bad != 0))
