# Per-file ISA flags for the CPU kernels, included by the addon's CMakeLists.txt and by
# bench/gpu/CMakeLists.txt: only these files hold AVX2/AVX-512 code, and gemm.cpp calls them
# only after cpuid says the CPU (and OS) support it, so one build runs on any x86-64. (svd/*.cpp
# and dense64.cpp use target attributes instead; see isa.h.)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64|i.86" AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/gemm_avx512.cpp PROPERTIES
    COMPILE_OPTIONS "-mavx512f;-mavx512vl;-mavx512bw;-mavx512dq;-mavx2;-mfma;-Wno-maybe-uninitialized")
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/gemm_avx2.cpp PROPERTIES
    COMPILE_OPTIONS "-mavx2;-mfma")
endif()
