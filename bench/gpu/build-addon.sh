#!/usr/bin/env bash
# Builds the Node addon (build/Release/trimnet.node) with plain CMake from the project's own
# CMakeLists.txt, passing what cmake-js 8 passes on Linux: the Node-API headers from
# node_modules/node-api-headers and node-addon-api (no download, no npm, no node needed), and
# the output folder <build>/Release. For the GPU device, which has CMake and nvcc but no npm:
# device-check.sh builds the real addon there, scripts/device-pack.sh the same way here.
#
#   bash bench/gpu/build-addon.sh BUILD_DIR [CUDA_ARCHITECTURES] [JOBS]
#     CUDA_ARCHITECTURES: default "90-real" (H100/H200 only, for a fast build); "OFF" builds
#     without CUDA. The normal build (npm run build) keeps sm_75/80/86/90 + PTX.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:?usage: build-addon.sh BUILD_DIR [CUDA_ARCHITECTURES] [JOBS]}"
archs="${2:-90-real}"
jobs="${3:-$(nproc)}"
for d in node-api-headers/include node-addon-api; do
  [[ -d "$root/node_modules/$d" ]] || { echo "build-addon: node_modules/$d is missing (unpack the device pack first)" >&2; exit 1; }
done
if ! command -v nvcc >/dev/null 2>&1 && [[ -x /usr/local/cuda/bin/nvcc ]]; then export PATH="/usr/local/cuda/bin:$PATH"; fi
cuda=(-DTRIMNET_CUDA=ON -DTRIMNET_CUDA_ARCHITECTURES="$archs")
[[ $archs == OFF ]] && cuda=(-DTRIMNET_CUDA=OFF)
gen=()
command -v ninja >/dev/null 2>&1 && [[ ! -f "$build/CMakeCache.txt" ]] && gen=(-G Ninja)
cmake -S "$root" -B "$build" ${gen[@]+"${gen[@]}"} -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_JS_INC="$root/node_modules/node-api-headers/include;$root/node_modules/node-addon-api" \
  -DCMAKE_JS_SRC= -DCMAKE_JS_LIB= -DCMAKE_LIBRARY_OUTPUT_DIRECTORY="$build/Release" "${cuda[@]}"
cmake --build "$build" -j "$jobs"
# CMakeLists.txt falls back to a CPU-only addon when it finds no CUDA compiler: here that is an error.
if [[ $archs != OFF ]] && ! find "$build" -name '*.cu.o' | grep -q .; then
  echo "build-addon: built WITHOUT CUDA (no CUDA compiler found)" >&2
  exit 3
fi
ls -la "$build/Release/trimnet.node"
