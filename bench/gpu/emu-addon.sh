#!/usr/bin/env bash
# The Node addon with its CUDA part running on the CPU emulator (kernels/cuda/emu), to rehearse
# the addon's CUDA bindings (native/cuda_binding.cpp: argument checks, resident buffers, async
# calls) and test/cuda.test.ts's GPU cases without a GPU. A test harness like the emulator, not a
# backend: it is slow (every GPU thread is a fiber) and says nothing about speed or TF32.
#
#   bash bench/gpu/emu-addon.sh [OUT_DIR]      # → OUT_DIR/trimnet-emu.node (default /tmp/trimnet-emu-addon)
#   TRIMNET_ADDON=/tmp/trimnet-emu-addon/trimnet-emu.node npx vitest run test/cuda.test.ts
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
emu="$root/kernels/cuda/emu"
out="${1:-/tmp/trimnet-emu-addon}"
cxx="${CXX:-g++}"
py="$(command -v python3 || echo /usr/bin/python3)"
mkdir -p "$out"
flags=(-std=c++17 -O2 -fPIC -pthread -I"$emu/include" -I"$root/kernels/cuda" -I"$root/kernels/cpu" -I"$root/native"
  -I"$root/node_modules/node-api-headers/include" -I"$root/node_modules/node-addon-api"
  -DTRIMNET_HAVE_CUDA=1 -DNAPI_VERSION=8 -DNODE_ADDON_API_DISABLE_DEPRECATED -DNODE_ADDON_API_CPP_EXCEPTIONS)
objs=() pids=()
compile() {  # src obj [extra flags]: at most two compilers at a time, skipped when up to date
  local src="$1" obj="$2"; shift 2
  objs+=("$obj")
  [[ -f "$obj" && "$obj" -nt "$src" && "$obj" -nt "$emu/include/cuda_runtime.h" ]] && return 0
  if (( ${#pids[@]} >= 2 )); then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  "$cxx" "${flags[@]}" "$@" -c "$src" -o "$obj" &
  pids+=($!)
}
for f in "$root"/kernels/cuda/*.cu; do
  b="$(basename "$f" .cu)"
  "$py" "$emu/transform.py" "$f" "$out/$b.emu.cpp.new"
  if cmp -s "$out/$b.emu.cpp.new" "$out/$b.emu.cpp"; then rm "$out/$b.emu.cpp.new"; else mv "$out/$b.emu.cpp.new" "$out/$b.emu.cpp"; fi
  compile "$out/$b.emu.cpp" "$out/$b.o" -x c++
done
compile "$emu/emu.cpp" "$out/emu.o"
for f in "$root"/native/*.cpp; do compile "$f" "$out/native_$(basename "$f" .cpp).o"; done
for f in "$root"/kernels/cpu/*.cpp; do
  b="$(basename "$f" .cpp)"; extra=()
  [[ $b == gemm_avx512 ]] && extra=(-mavx512f -mavx512vl -mavx512bw -mavx512dq -mavx2 -mfma)
  [[ $b == gemm_avx2 ]] && extra=(-mavx2 -mfma)
  compile "$f" "$out/cpu_$b.o" "${extra[@]}"
done
for p in "${pids[@]}"; do wait "$p"; done
"$cxx" -shared -pthread "${objs[@]}" -o "$out/trimnet-emu.node"
echo "$out/trimnet-emu.node"
