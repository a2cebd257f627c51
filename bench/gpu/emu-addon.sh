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
here="$root/kernels/cuda/emu"
out="${1:-/tmp/trimnet-emu-addon}"
cxx="${CXX:-g++}"
py="$(command -v python3 || echo /usr/bin/python3)"
mkdir -p "$out"
flags=(-std=c++17 -O2 -fPIC -pthread -I"$here/include" -I"$root/kernels/cuda" -I"$root/kernels/cpu" -I"$root/native"
  -I"$root/node_modules/node-api-headers/include" -I"$root/node_modules/node-addon-api"
  -DTRIMNET_HAVE_CUDA=1 -DNAPI_VERSION=8 -DNODE_ADDON_API_DISABLE_DEPRECATED -DNODE_ADDON_API_CPP_EXCEPTIONS)
# shellcheck source=../../kernels/cuda/emu/build.sh
source "$here/build.sh"
emu_common_objects
for f in "$root"/native/*.cpp; do emu_compile "$f" "$out/native_$(basename "$f" .cpp).o"; done
emu_wait
"$cxx" -shared -pthread "${objs[@]}" -o "$out/trimnet-emu.node"
echo "$out/trimnet-emu.node"
