// Which x86 vector level the hand-vectorised loops run at, for the files that compile a loop
// body once per level with target attributes and pick one at run time (svd/*.cpp, dense64.cpp;
// the GEMM kernels have their own table in gemm.cpp). cpuid once; TRIMNET_KERNEL=scalar|avx2
// forces a lower level, as it does for the GEMM kernels.
#pragma once
#include <cstdlib>
#include <string>

#if defined(__GNUC__) && defined(__x86_64__)
#define TRIMNET_X86_DISPATCH 1
#define TRIMNET_INLINE static inline __attribute__((always_inline))
#define TRIMNET_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define TRIMNET_TARGET_AVX512 __attribute__((target("avx2,fma,avx512f,avx512vl,avx512dq,avx512bw,avx512cd,prefer-vector-width=512")))
#define TRIMNET_TARGET_AVX512_256 __attribute__((target("avx2,fma,avx512f,avx512vl,avx512dq,avx512bw,avx512cd,prefer-vector-width=256")))
#else
#define TRIMNET_INLINE static inline
#endif

namespace trimnet {

enum class Isa { base, avx2, avx512 };

inline Isa cpu_isa() {
#ifdef TRIMNET_X86_DISPATCH
  static const Isa isa = [] {
    __builtin_cpu_init();
    const char* want = std::getenv("TRIMNET_KERNEL");
    const std::string w = want ? want : "";
    const bool has2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    const bool has512 = has2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512cd");
    if (w == "scalar") return Isa::base;
    if (has512 && w != "avx2") return Isa::avx512;
    return has2 ? Isa::avx2 : Isa::base;
  }();
  return isa;
#else
  return Isa::base;
#endif
}

}  // namespace trimnet
