#!/usr/bin/env bash
# The whole GPU check in ONE device call (an NVIDIA H200 with nvcc, CMake and PyTorch, but no
# Node.js, no npm and no network). Prepare here first, in the checkout the session's device calls
# send (its repo root), then make the call:
#
#   npm run build && bash scripts/device-pack.sh         # → .device/ (~30 MiB), prints the total
#   run(command="bash bench/gpu/device-check.sh", carry=[".device"], timeout_s=480)
#
# What it does, each part under a time limit cut to what is left of DEVICE_BUDGET_S (440 s):
#   1. unpacks the carried node (.device/node.xz) and dist/ + node_modules (.device/pack.tar.xz);
#   2. builds, side by side, the C++ driver (bench/gpu, via run.sh BUILD_ONLY=1) and the real
#      Node addon for sm_90 (bench/gpu/build-addon.sh: plain CMake, headers from node_modules);
#      if the addon fails to build, the fallback .device/trimnet-sm90.node built by the pack is
#      used, and the table says so;
#   3. bench/gpu/run.sh: conformance (GEMM all cases incl. TF32, host entry points, colStats,
#      SVD) and the timings against PyTorch (SGEMM 1024³…8192³ TF32 off and on, colStats vs D2D
#      copy, SVD 256²…4096² vs torch.linalg.svd);
#   4. the Node round with TRIMNET_BACKEND=cuda: vitest test/cuda.test.ts (its GPU cases), then
#      bench/gpu/node-round.mjs (CLI train/eval/stats/prune/embed/align on 'mini' on cuda and
#      cpu; the statistics pass over 60,000 images on cuda, weights resident, vs cpu), then the
#      rest of the vitest suite on cuda (files needing packages not carried are left out).
# Output ($OUT, else bench/results/device/): gpu.md (the summary table), device-check.log (this
# transcript, written as it goes), gpu-raw.tar.xz (every JSON, build log and vitest report).
# env: DEVICE_BUDGET_S (440), DEVICE_WORK (/tmp/trimnet-device), CUDA_ARCH (90), PYTHON (python3)
set -uo pipefail
t_start=$(date +%s)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
budget="${DEVICE_BUDGET_S:-440}"
deadline=$((t_start + budget))
out="${OUT:-$root/bench/results/device}"
work="${DEVICE_WORK:-/tmp/trimnet-device}"
raw="$work/raw"
arch="${CUDA_ARCH:-90}"
jobs="$(nproc)"
rm -rf "$work"
mkdir -p "$raw" "$work/bin" "$out"
left() { echo $((deadline - $(date +%s))); }
since() { echo $(($(date +%s) - $1)); }
# min(a, b), but at least 10 (seconds for `timeout`)
cap() { local v=$(($1 < $2 ? $1 : $2)); echo $((v < 10 ? 10 : v)); }
# A line for the summary: gpu.md collects them from the transcript (main runs in a pipeline).
note() { echo "   • $1"; }

# xz is in every Debian/Ubuntu base image, but Python's lzma does the same if it is not.
unxz_to() {
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" >"$2"
  else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}
untar_xz() {
  if command -v xz >/dev/null 2>&1; then tar -xJf "$1" -C "$2"
  else python3 -c 'import tarfile, sys; tarfile.open(sys.argv[1]).extractall(sys.argv[2], filter="tar")' "$1" "$2"; fi
}

# Vitest's JSON report → "N passed, M failed, K skipped" (+ the failures' names).
vitest_summary() {
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const failed = r.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === "failed").map((a) => `${f.name.split("/test/").pop()}: ${a.fullName}`));
    const broken = r.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).map((f) => `${f.name.split("/test/").pop()}: ${(f.message || "failed to load").split("\n")[0]}`);
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped in ${r.testResults.length} files` +
      (failed.length + broken.length ? `; failing: ${[...failed, ...broken].slice(0, 12).join("; ")}` : ""));
  ' "$1" 2>/dev/null || echo "no report (vitest did not finish: see device-check.log)"
}

main() {
  cd "$root" || return 1
  echo "== device"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>&1 | head -2
  (nvcc --version 2>/dev/null || /usr/local/cuda/bin/nvcc --version) | tail -1
  cmake --version | head -1
  "${PYTHON:-python3}" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' 2>&1 | tail -1
  echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $jobs threads; kernel $(uname -r)"

  echo "== unpack the carried node and node_modules (.device)"
  local t0 node_ok=0
  t0=$(date +%s)
  if [[ -f .device/node.xz && -f .device/pack.tar.xz ]]; then
    if unxz_to .device/node.xz "$work/bin/node" && chmod +x "$work/bin/node" && untar_xz .device/pack.tar.xz "$root" &&
       "$work/bin/node" --version; then
      node_ok=1
      export PATH="$work/bin:$PATH"
      local packed now
      packed=$(sed -n 's/^src_sha1=//p' .device/MANIFEST 2>/dev/null)
      now=$(find src -type f | LC_ALL=C sort | xargs sha1sum | sha1sum | cut -c1-40)
      if [[ "$packed" != "$now" ]]; then
        note "WARNING: dist/ was packed from another src/ than the one that travelled ($(head -1 .device/MANIFEST)): the CLI rows may be stale; the vitest rows run the travelled src/"
      fi
      echo "   unpacked in $(since "$t0") s"
    else
      note "the carried node could not be unpacked or run: Node round skipped"
    fi
  else
    note "no .device/ carried (scripts/device-pack.sh, carry [\".device\"]): Node round skipped"
  fi

  echo "== build the driver (build-gpu) and the addon (build, sm_$arch) side by side"
  t0=$(date +%s)
  local blimit addon_pid=0 addon="" drv_build=1
  blimit=$(cap 240 $(($(left) - 150)))
  (OUT="$raw" BUILD_ONLY=1 CUDA_ARCH="$arch" BUILD_DIR="$root/build-gpu" timeout -k 5 "$blimit" bash "$here/run.sh") >"$raw/driver_build.out" 2>&1 &
  local drv_pid=$!
  if [[ $node_ok == 1 ]]; then
    (timeout -k 5 "$blimit" bash "$here/build-addon.sh" "$root/build" "$arch-real" $((jobs / 2 > 1 ? jobs / 2 : 1))) >"$raw/addon_build.log" 2>&1 &
    addon_pid=$!
  fi
  wait "$drv_pid" || drv_build=0
  cat "$raw/driver_build.out"
  mv "$raw/gpu_build.log" "$raw/driver_build.log" 2>/dev/null  # run.sh's second (no-op) build would overwrite it
  if [[ $addon_pid != 0 ]]; then
    if wait "$addon_pid"; then
      addon="$root/build/Release/trimnet.node"
      note "addon: built here for sm_$arch (bench/gpu/build-addon.sh)"
    else
      tail -30 "$raw/addon_build.log"
      if [[ -f .device/trimnet-sm90.node ]]; then
        addon="$root/.device/trimnet-sm90.node"
        note "addon: the build here FAILED (addon_build.log); using the fallback built by device-pack ($(head -1 .device/MANIFEST))"
      else
        note "addon: the build here FAILED (addon_build.log) and no fallback was carried: Node round skipped"
      fi
    fi
  fi
  echo "   builds done in $(since "$t0") s (driver $([[ $drv_build == 1 ]] && echo ok || echo FAILED))"

  echo "== driver conformance + timings vs PyTorch (run.sh)"
  t0=$(date +%s)
  local node_reserve=0
  [[ -n $addon ]] && node_reserve=130
  OUT="$raw" CUDA_ARCH="$arch" BUILD_DIR="$root/build-gpu" BUDGET_S=$(cap 270 $(($(left) - node_reserve))) bash "$here/run.sh"
  echo "   run.sh: exit $? after $(since "$t0") s"

  [[ -n $addon ]] || return 0
  export TRIMNET_ADDON="$addon"
  echo "== Node round (node $(node --version), addon $addon)"
  node bin/trimnet.js info --json >"$raw/node_info.json" 2>&1
  local cuda_ok suite_backend=cuda
  cuda_ok=$(node -e 'const i = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const c = i.backends.find((b) => b.name === "cuda"); console.log(c.available ? "yes" : `no: ${c.reason}`)' "$raw/node_info.json" 2>/dev/null ||
    echo "no: trimnet info failed ($(tail -1 "$raw/node_info.json"))")
  note "cuda backend from Node: $cuda_ok"
  [[ $cuda_ok == yes ]] || suite_backend=cpu
  local vitest=(node node_modules/vitest/vitest.mjs run --reporter=default --reporter=json)

  t0=$(date +%s)
  TRIMNET_BACKEND=cuda timeout -k 5 $(cap 90 $(($(left) - 60))) "${vitest[@]}" --outputFile.json="$raw/vitest_cuda.json" test/cuda.test.ts
  note "vitest test/cuda.test.ts, TRIMNET_BACKEND=cuda: $(vitest_summary "$raw/vitest_cuda.json") ($(since "$t0") s)"

  t0=$(date +%s)
  timeout -k 5 $(cap 150 $(($(left) - 30))) node "$here/node-round.mjs" "$raw" cuda cpu
  echo "   node-round: exit $? after $(since "$t0") s"

  local slimit
  slimit=$(cap 180 $(($(left) - 15)))
  if ((slimit >= 30)); then
    t0=$(date +%s)
    # Left out: files that need packages not carried (ml-matrix, fastify, fast-check, gpu.js) and
    # the emulator test (opt-in, CPU only).
    TRIMNET_BACKEND=$suite_backend timeout -k 5 "$slimit" "${vitest[@]}" --outputFile.json="$raw/vitest_suite.json" \
      --exclude 'test/fuzz/**' --exclude test/svd.test.ts --exclude test/service.test.ts --exclude test/gpujs.test.ts \
      --exclude test/cuda-emu.test.ts >"$raw/vitest_suite.log" 2>&1
    tail -25 "$raw/vitest_suite.log"
    note "vitest suite, TRIMNET_BACKEND=$suite_backend$([[ $suite_backend == cuda ]] || echo ' (cuda unavailable)'): $(vitest_summary "$raw/vitest_suite.json") ($(since "$t0") s, limit $slimit s)"
  else
    note "vitest suite on $suite_backend: not run, the time budget was spent"
  fi
}

main 2>&1 | tee "$out/device-check.log"

{
  if [[ -f "$raw/gpu.md" ]]; then cat "$raw/gpu.md"; else echo "# trimnet GPU check: run.sh wrote no table (see device-check.log)"; fi
  echo
  echo "## Node round (bench/gpu/device-check.sh)"
  echo
  grep '^   • ' "$out/device-check.log" | sed 's/^   • /- /'
  echo
  [[ -f "$raw/node_round.md" ]] && cat "$raw/node_round.md"
  echo "Whole device call: $(since "$t_start") s of the ${budget} s budget."
} >"$out/gpu.md"
tar -C "$work" -cJf "$out/gpu-raw.tar.xz" raw 2>/dev/null || tar -C "$work" -czf "$out/gpu-raw.tar.gz" raw
echo "== summary ($out/gpu.md)"
cat "$out/gpu.md"
