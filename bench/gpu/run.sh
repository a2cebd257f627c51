#!/usr/bin/env bash
# The GPU check, in one call, on a machine with an NVIDIA GPU, CMake, nvcc and PyTorch (no
# Node.js needed): builds bench/gpu/driver.cu around kernels/cuda + kernels/cpu (Release,
# sm_90 only for speed; CUDA_ARCH=80 etc. to change), runs the conformance cases against the CPU
# kernels, times GEMM / colStats / SVD against PyTorch on the same GPU, prints one table and
# writes it to $OUT/gpu.md when OUT is set, else bench/results/gpu.md.
#
#   bash bench/gpu/run.sh     # env: CUDA_ARCH (default 90), SVD_MAX (4096), PYTHON (python3),
#                             #      BUDGET_S (whole run, default 400), BUILD_DIR (build-gpu),
#                             #      BUILD_ONLY=1 (build the driver and stop: device-check.sh
#                             #      builds it beside the addon, then runs this again)
#
# Every stage runs in its own process under a time limit cut to what is left of BUDGET_S, and
# writes its numbers as it goes, so a slow or failing stage costs only its own rows: the table
# is always written. Expected on the H200 (estimates; no GPU has run it yet): build ~30–60 s,
# conformance ~15 s, GEMM ~10 s, colStats ~5 s, SVD ~25 s (4096²: ~17 sweeps × ~0.9 s),
# PyTorch ~30–60 s. On the device it is called by device-check.sh (README.md beside this).
set -uo pipefail
t_start=$(date +%s)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
arch="${CUDA_ARCH:-90}"
svd_max="${SVD_MAX:-4096}"
py="${PYTHON:-python3}"
budget="${BUDGET_S:-400}"
build="${BUILD_DIR:-$root/build-gpu}"
if [[ -n "${OUT:-}" ]]; then dest="$OUT"; else dest="$root/bench/results"; fi
mkdir -p "$dest" "$build"
log="$dest/gpu_build.log"
deadline=$((t_start + budget))
left() { echo $((deadline - $(date +%s))); }

# nvcc off the PATH but in the usual place: let CMake find it.
if ! command -v nvcc >/dev/null 2>&1 && [[ -x /usr/local/cuda/bin/nvcc ]]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi
gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
[[ -f "$build/CMakeCache.txt" ]] && gen=()  # keep the generator of an existing build dir

rm -f "$dest"/gpu_driver_*.json "$dest/gpu_torch.json" "$dest/gpu_torch.err"
echo "== building (sm_$arch) in $build"
build_ok=1
if ! { timeout 90 cmake -S "$here" -B "$build" ${gen[@]+"${gen[@]}"} -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES="$arch" &&
       timeout 180 cmake --build "$build" -j "$(nproc)"; } >"$log" 2>&1; then
  tail -40 "$log"
  echo "build failed (full log: $log)"
  build_ok=0
  echo '{"error": "the driver did not build (see gpu_build.log)", "failures": 1}' >"$dest/gpu_driver_build.json"
else
  echo "   built in $(( $(date +%s) - t_start )) s; ptxas per kernel (registers, spill stores):"
  awk '/Compiling entry function/ { match($0, /_Z[A-Za-z0-9_]*/); name = substr($0, RSTART, RLENGTH) }
       /spill stores/ { sp = $5 }
       /Used [0-9]+ registers/ { match($0, /Used [0-9]+ registers/); print substr($0, RSTART + 5, RLENGTH - 15), sp, name }' "$log" |
    { command -v c++filt >/dev/null && c++filt || cat; } | sed -E 's/trimnet::cuda::\(anonymous namespace\):://g; s/^/    /' | cut -c1-140 | sort -u
fi
if [[ ${BUILD_ONLY:-0} == 1 ]]; then exit $((1 - build_ok)); fi
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit --format=csv,noheader 2>/dev/null || true

# Seconds kept back for the PyTorch peer and the table.
torch_share=130
drv_rc=$((1 - build_ok))  # a driver that did not build fails the run
if [[ $build_ok == 1 ]]; then
  echo "== driver: conformance against the CPU kernels, then timings (one process per stage)"
  no_device=0
  for stage in conf-gemm:40 conf-colstats:30 conf-svd:30 time-gemm:45 time-colstats:20 time-svd:100; do
    name="${stage%%:*}"; limit="${stage##*:}"
    json="$dest/gpu_driver_$name.json"
    if [[ $no_device == 1 ]]; then
      echo "{\"error\": \"$name not run (no usable CUDA device)\", \"failures\": 1}" >"$json"; continue
    fi
    avail=$(( $(left) - torch_share ))
    (( limit > avail )) && limit=$avail
    if (( limit < 5 )); then
      echo "-- $name: skipped, the run's time budget is spent"
      echo "{\"error\": \"$name skipped: the run's time budget (BUDGET_S=$budget) was spent\", \"failures\": 1}" >"$json"
      drv_rc=1; continue
    fi
    echo "-- $name (limit $limit s)"
    t0=$(date +%s)
    TRIMNET_SVD_BUDGET_S=$(( limit * 3 / 4 )) timeout -k 5 "$limit" "$build/gpu_check" "$json" "$svd_max" "$name"
    rc=$?
    echo "   $name: exit $rc after $(( $(date +%s) - t0 )) s"
    if [[ $rc -ne 0 ]]; then
      drv_rc=1
      if [[ $rc -eq 2 ]]; then
        no_device=1
        [[ -s "$json" ]] || echo "{\"error\": \"$name: no usable CUDA device\", \"failures\": 1}" >"$json"
      elif [[ $rc -eq 124 || $rc -eq 137 ]]; then
        echo "   $name: timed out after $limit s (rows it measured before are kept)"
        /usr/bin/env "$py" - "$json" "$name" "$limit" <<'PY' 2>/dev/null || echo "{\"error\": \"$name timed out after $limit s\", \"failures\": 1}" >"$json"
import json, sys
path, name, limit = sys.argv[1:4]
try:
    d = json.load(open(path))
except Exception:
    d = {}
d["error"] = f"{name} timed out after {limit} s"
d["failures"] = int(d.get("failures", 0)) + 1
json.dump(d, open(path, "w"))
PY
      elif [[ ! -s "$json" ]]; then
        echo "{\"error\": \"$name exited with status $rc and no results\", \"failures\": 1}" >"$json"
      fi
    fi
  done
fi

echo "== PyTorch peer ($py)"
tlimit=$(( $(left) - 10 ))
(( tlimit > 240 )) && tlimit=240
if (( tlimit < 10 )); then
  echo '{"error": "not run: the time budget was spent"}' >"$dest/gpu_torch.json"
else
  TORCH_SVD_BUDGET_S=$(( tlimit / 2 )) timeout -k 5 "$tlimit" "$py" "$here/torch_peer.py" "$svd_max" >"$dest/gpu_torch.json" 2>"$dest/gpu_torch.err"
  rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "   torch peer: exit $rc$([[ $rc -eq 124 ]] && echo " (timed out after $tlimit s)"):"; tail -3 "$dest/gpu_torch.err"
  fi
fi

echo "== table"
"$py" "$here/report.py" "$dest/gpu_torch.json" "$dest/gpu.md" "$dest"/gpu_driver_*.json ||
  /usr/bin/python3 "$here/report.py" "$dest/gpu_torch.json" "$dest/gpu.md" "$dest"/gpu_driver_*.json
echo "(written to $dest/gpu.md; whole run $(( $(date +%s) - t_start )) s)"
exit $drv_rc
