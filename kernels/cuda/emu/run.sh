#!/usr/bin/env bash
# CPU emulation check of the CUDA kernels (no GPU, no nvcc): rewrites the launches of
# kernels/cuda/*.cu and bench/gpu/driver.cu for the emulator (include/cuda_runtime.h, emu.cpp),
# builds them with g++ and AddressSanitizer/UBSan next to the CPU kernels, and runs the GPU check
# driver's conformance stages (TRIMNET_GPU_CHECK_SMALL=1: the small shapes) with threads run forward, reversed and in
# random order between barriers.
#
#   bash kernels/cuda/emu/run.sh [stages]     # default conf-gemm,conf-colstats,conf-svd
#   env: EMU_BUILD (build dir, default /tmp/trimnet-emu), EMU_SAN (default address,undefined; "" for none),
#        EMU_ORDERS (default "fwd rev rand"), CXX
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${EMU_BUILD:-/tmp/trimnet-emu}"
san="${EMU_SAN-address,undefined}"
cxx="${CXX:-g++}"
py="$(command -v python3 || echo /usr/bin/python3)"
stages="${1:-conf-gemm,conf-colstats,conf-svd}"
mkdir -p "$out"
flags=(-std=c++17 -O2 -g -fno-omit-frame-pointer -I"$here/include" -I"$root/kernels/cuda" -I"$root/kernels/cpu" -pthread)
[[ -n "$san" ]] && flags+=(-fsanitize="$san" -fno-sanitize-recover=undefined)
objs=() pids=()
compile() {  # src obj [extra flags]: at most two compilers at a time
  local src="$1" obj="$2"; shift 2
  objs+=("$obj")
  [[ -f "$obj" && "$obj" -nt "$src" && "$obj" -nt "$here/include/cuda_runtime.h" && "$obj" -nt "$here/emu.cpp" ]] && return 0
  if (( ${#pids[@]} >= 2 )); then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  "$cxx" "${flags[@]}" "$@" -c "$src" -o "$obj" &
  pids+=($!)
}
for f in "$root"/kernels/cuda/*.cu "$root/bench/gpu/driver.cu"; do
  b="$(basename "$f" .cu)"
  "$py" "$here/transform.py" "$f" "$out/$b.emu.cpp.new"
  if cmp -s "$out/$b.emu.cpp.new" "$out/$b.emu.cpp"; then rm "$out/$b.emu.cpp.new"; else mv "$out/$b.emu.cpp.new" "$out/$b.emu.cpp"; fi
  compile "$out/$b.emu.cpp" "$out/$b.o" -x c++
done
compile "$here/emu.cpp" "$out/emu.o"
for f in "$root"/kernels/cpu/*.cpp "$root"/kernels/cpu/svd/*.cpp; do
  b="$(basename "$f" .cpp)"; extra=()
  [[ $f == */svd/* ]] && b="svd_$b"
  [[ $b == gemm_avx512 ]] && extra=(-mavx512f -mavx512vl -mavx512bw -mavx512dq -mavx2 -mfma)
  [[ $b == gemm_avx2 ]] && extra=(-mavx2 -mfma)
  compile "$f" "$out/cpu_$b.o" "${extra[@]}"
done
for p in "${pids[@]}"; do wait "$p"; done
"$cxx" "${flags[@]}" "${objs[@]}" -o "$out/gpu_check_emu"
fail=0
for order in ${EMU_ORDERS:-fwd rev rand}; do
  echo "== emulated conformance ($stages), threads in $order order"
  if ! TRIMNET_GPU_CHECK_SMALL=1 EMU_ORDER="$order" ASAN_OPTIONS=detect_leaks=1 "$out/gpu_check_emu" "$out/emu_$order.json" 4096 "$stages"; then fail=1; fi
done
echo "== svd without CUDA graphs (stream capture refused)"
TRIMNET_GPU_CHECK_SMALL=1 EMU_NO_GRAPH=1 "$out/gpu_check_emu" "$out/emu_nograph.json" 4096 conf-svd || fail=1
exit $fail
