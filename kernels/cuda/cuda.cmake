# CUDA kernels for the addon, included by CMakeLists.txt after enable_language(CUDA) when a CUDA
# compiler is found and TRIMNET_CUDA is not OFF.
#
# - kernels/cuda/*.cu join the `trimnet` target; TRIMNET_HAVE_CUDA tells native/ they are there.
# - Machine code for sm_75, sm_80, sm_86, sm_90 plus compute_90 PTX (JIT-compiled by newer
#   drivers for later GPUs). TRIMNET_CUDA_ARCHITECTURES overrides the list (e.g. "90-real" for a
#   quick local build).
# - The CUDA runtime is linked statically: the addon has no libcudart.so dependency, and
#   cudart loads libcuda.so (the driver) lazily, so on a machine without a driver the addon still
#   loads and cudaGetDeviceCount reports why the cuda backend is unavailable.
file(GLOB TRIMNET_CUDA_SRC CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/kernels/cuda/*.cu)
set(TRIMNET_CUDA_ARCHITECTURES "75-real;80-real;86-real;90-real;90-virtual" CACHE STRING
    "CUDA architectures the kernels are compiled for")

target_sources(${PROJECT_NAME} PRIVATE ${TRIMNET_CUDA_SRC})
target_include_directories(${PROJECT_NAME} PRIVATE ${CMAKE_SOURCE_DIR}/kernels/cuda)
set_target_properties(${PROJECT_NAME} PROPERTIES
  CUDA_ARCHITECTURES "${TRIMNET_CUDA_ARCHITECTURES}"
  CUDA_RUNTIME_LIBRARY Static
  CUDA_STANDARD 17
  CUDA_STANDARD_REQUIRED ON)
target_compile_definitions(${PROJECT_NAME} PRIVATE TRIMNET_HAVE_CUDA=1)
target_compile_options(${PROJECT_NAME} PRIVATE
  $<$<COMPILE_LANGUAGE:CUDA>:-O3 -Xcompiler=-fPIC --expt-relaxed-constexpr>)

# The .cpp files of native/ include cuda_kernels.h only (no CUDA headers); CUDA_RUNTIME_LIBRARY
# Static puts cudart_static (and its -ldl -lrt -lpthread) on the link line.
message(STATUS "trimnet: building the cuda backend for ${TRIMNET_CUDA_ARCHITECTURES}")
