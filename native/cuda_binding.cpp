// CUDA entry points. Without CUDA compiled in, only the status is reported.
#include "bindings.h"

namespace trimnet_native {

#ifndef TRIMNET_HAVE_CUDA
CudaInfo cudaInfo() { return {false, "not built with CUDA"}; }
void registerCuda(Napi::Env, Napi::Object) {}
#endif

}  // namespace trimnet_native
