#!/usr/bin/env bash
# The GPU check, in one call, on a machine with an NVIDIA GPU, CMake, nvcc and PyTorch (no
# Node.js needed): builds bench/gpu/driver.cu around kernels/cuda + kernels/cpu (Release,
# sm_90 only for speed; CUDA_ARCH=80 etc. to change), runs the conformance cases against the CPU
# kernels, times GEMM / colStats / SVD against PyTorch on the same GPU, prints one table and
# writes it to $OUT/gpu.md when OUT is set, else bench/results/gpu.md.
#
#   bash bench/gpu/run.sh            # env: CUDA_ARCH (default 90), SVD_MAX (default 4096), PYTHON
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
arch="${CUDA_ARCH:-90}"
svd_max="${SVD_MAX:-4096}"
py="${PYTHON:-python3}"
build="${BUILD_DIR:-$root/build-gpu}"
if [[ -n "${OUT:-}" ]]; then dest="$OUT"; else dest="$root/bench/results"; fi
mkdir -p "$dest" "$build"
log="$dest/gpu_build.log"

# nvcc off the PATH but in the usual place: let CMake find it.
if ! command -v nvcc >/dev/null 2>&1 && [[ -x /usr/local/cuda/bin/nvcc ]]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi
gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
[[ -f "$build/CMakeCache.txt" ]] && gen=()  # keep the generator of an existing build dir

echo "== building (sm_$arch) in $build"
t0=$(date +%s)
if ! { cmake -S "$here" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES="$arch" &&
       cmake --build "$build" -j "$(nproc)"; } >"$log" 2>&1; then
  tail -40 "$log"
  echo "build failed (full log: $log)"
  exit 1
fi
echo "   built in $(( $(date +%s) - t0 )) s; ptxas register/spill report:"
grep -E "spill|Used [0-9]+ registers" "$log" | paste - - | sed -E 's/ +/ /g' | sort | uniq -c | head -20

nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit --format=csv,noheader 2>/dev/null || true

echo "== driver: conformance against the CPU kernels, then timings (one process per stage)"
rm -f "$dest"/gpu_driver_*.json
drv_rc=0
for stage in conf-gemm:90 conf-colstats:60 conf-svd:60 time-gemm:60 time-colstats:30 time-svd:150; do
  name="${stage%%:*}"; limit="${stage##*:}"
  echo "-- $name"
  timeout "$limit" "$build/gpu_check" "$dest/gpu_driver_$name.json" "$svd_max" "$name"
  rc=$?
  if [[ $rc -ne 0 ]]; then
    drv_rc=1
    if [[ $rc -eq 124 ]]; then
      echo "   $name: timed out after $limit s"
      echo "{\"error\": \"$name timed out after $limit s\", \"failures\": 1}" >"$dest/gpu_driver_$name.json"
    elif [[ ! -s "$dest/gpu_driver_$name.json" ]]; then
      echo "{\"error\": \"$name exited with status $rc and no results\", \"failures\": 1}" >"$dest/gpu_driver_$name.json"
    fi
  fi
done

echo "== PyTorch peer"
if ! "$py" "$here/torch_peer.py" "$svd_max" >"$dest/gpu_torch.json" 2>"$dest/gpu_torch.err"; then
  echo "torch peer failed:"; tail -5 "$dest/gpu_torch.err"
fi

echo "== table"
"$py" "$here/report.py" "$dest/gpu_torch.json" "$dest/gpu.md" "$dest"/gpu_driver_*.json
echo "(written to $dest/gpu.md)"
exit $drv_rc
