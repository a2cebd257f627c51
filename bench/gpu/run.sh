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

echo "== building (sm_$arch) in $build"
t0=$(date +%s)
if ! { cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES="$arch" &&
       cmake --build "$build" -j "$(nproc)"; } >"$log" 2>&1; then
  tail -40 "$log"
  echo "build failed (full log: $log)"
  exit 1
fi
echo "   built in $(( $(date +%s) - t0 )) s; ptxas register/spill report:"
grep -E "spill|Used [0-9]+ registers" "$log" | paste - - | sed -E 's/ +/ /g' | sort | uniq -c | head -20

nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit --format=csv,noheader 2>/dev/null || true

echo "== driver: conformance + timings"
"$build/gpu_check" "$dest/gpu_driver.json" "$svd_max"
drv_rc=$?

echo "== PyTorch peer"
if ! "$py" "$here/torch_peer.py" "$svd_max" >"$dest/gpu_torch.json" 2>"$dest/gpu_torch.err"; then
  echo "torch peer failed:"; tail -5 "$dest/gpu_torch.err"
fi

echo "== table"
"$py" "$here/report.py" "$dest/gpu_driver.json" "$dest/gpu_torch.json" "$dest/gpu.md"
echo "(written to $dest/gpu.md)"
exit $drv_rc
