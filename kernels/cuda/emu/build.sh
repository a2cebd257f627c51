# Sourced by run.sh (the GPU check driver) and bench/gpu/emu-addon.sh (the Node addon): compiles
# kernels/cuda/*.cu and any extra .cu files (launches rewritten by transform.py), emu.cpp and the
# CPU kernels into $out, at most two compilers at a time, skipping objects that are up to date.
# Needs: here (this folder), root, out, cxx, py, flags (array). Sets: objs (array).
# emu_compile SRC OBJ [FLAGS...] adds one more object; emu_wait waits for the compilers.
objs=() pids=()
emu_compile() {
  local src="$1" obj="$2"; shift 2
  objs+=("$obj")
  [[ -f "$obj" && "$obj" -nt "$src" && "$obj" -nt "$here/include/cuda_runtime.h" && "$obj" -nt "$here/emu.cpp" ]] && return 0
  if (( ${#pids[@]} >= 2 )); then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  "$cxx" "${flags[@]}" "$@" -c "$src" -o "$obj" &
  pids+=($!)
}
emu_wait() {
  local p
  for p in "${pids[@]}"; do wait "$p"; done
  pids=()
}
emu_common_objects() {  # [extra .cu files]
  local f b extra
  for f in "$root"/kernels/cuda/*.cu "$@"; do
    b="$(basename "$f" .cu)"
    "$py" "$here/transform.py" "$f" "$out/$b.emu.cpp.new"
    if cmp -s "$out/$b.emu.cpp.new" "$out/$b.emu.cpp"; then rm "$out/$b.emu.cpp.new"; else mv "$out/$b.emu.cpp.new" "$out/$b.emu.cpp"; fi
    emu_compile "$out/$b.emu.cpp" "$out/$b.o" -x c++
  done
  emu_compile "$here/emu.cpp" "$out/emu.o"
  for f in "$root"/kernels/cpu/*.cpp "$root"/kernels/cpu/svd/*.cpp; do
    b="$(basename "$f" .cpp)"; extra=()
    [[ $f == */svd/* ]] && b="svd_$b"
    [[ $b == gemm_avx512 ]] && extra=(-mavx512f -mavx512vl -mavx512bw -mavx512dq -mavx2 -mfma)
    [[ $b == gemm_avx2 ]] && extra=(-mavx2 -mfma)
    emu_compile "$f" "$out/cpu_$b.o" "${extra[@]}"
  done
}
