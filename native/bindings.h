// The groups of entry points the addon exports; each *_binding.cpp defines one register*.
#pragma once
#include <napi.h>

#include <string>

#define TRIMNET_VERSION_STRING "0.1.0"

namespace trimnet_native {

void registerGemm(Napi::Env env, Napi::Object exports);  // gemm, gemmAsync, colStats
void registerSvd(Napi::Env env, Napi::Object exports);   // svd, svdAsync
void registerDense64(Napi::Env env, Napi::Object exports);  // cholesky64, solveLower64
void registerFinite(Napi::Env env, Napi::Object exports);   // firstNonFinite
void registerMlp(Napi::Env env, Napi::Object exports);      // mlpPlan, mlpForwardOne, mlpForwardRows
void registerCuda(Napi::Env env, Napi::Object exports);  // exports.cuda = { ... } when built with CUDA

struct CudaInfo {
  bool compiled;
  std::string status;  // "ok" or why the device can't be used
};
CudaInfo cudaInfo();

}  // namespace trimnet_native
