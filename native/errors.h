// Native failures cross the Node-API boundary as JS Errors with a `code` property, which
// src/backend/native-error.ts turns into the typed errors of src/errors.ts:
//   std::bad_alloc, cudaErrorMemoryAllocation   -> E_OOM     (OutOfMemory)
//   trimnet::cuda::CudaError                     -> E_CUDA    (CudaError)
//   std::invalid_argument                        -> E_DATA    (DataError: e.g. NaN in an SVD input)
//   any other std::exception                     -> E_BACKEND (BackendError)
// Argument checks (args.h) stay TypeError/RangeError: they describe the caller's mistake.
#pragma once
#include <napi.h>

#include <exception>
#include <new>
#include <stdexcept>
#include <string>

#ifdef TRIMNET_HAVE_CUDA
#include "cuda_kernels.h"
#endif

namespace trimnet_native {

inline const char* errorCode(const std::exception& e) {
  if (dynamic_cast<const std::bad_alloc*>(&e)) return "E_OOM";
#ifdef TRIMNET_HAVE_CUDA
  if (dynamic_cast<const trimnet::cuda::CudaError*>(&e))
    return std::string(e.what()).find("cudaErrorMemoryAllocation") != std::string::npos ? "E_OOM" : "E_CUDA";
#endif
  if (dynamic_cast<const std::invalid_argument*>(&e)) return "E_DATA";
  return "E_BACKEND";
}

// `prefix` names the call ("gemm failed: ", or "" where the kernel's message already does).
inline std::string errorMessage(const std::exception& e, const char* prefix) {
  if (dynamic_cast<const std::bad_alloc*>(&e)) return std::string(prefix) + "out of memory (std::bad_alloc)";
  return std::string(prefix) + e.what();
}

// A JS Error with message and code (the code survives into the promise rejection too).
inline Napi::Error codedError(Napi::Env env, const std::string& message, const std::string& code) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

inline Napi::Error nativeError(Napi::Env env, const std::exception& e, const char* prefix) {
  return codedError(env, errorMessage(e, prefix), errorCode(e));
}

// A failure caught off the main thread (in AsyncWorker::Execute), kept until OnError can build
// the JS error: message and code, no JS values.
struct CaughtError {
  std::string message, code;
  void keep(const std::exception& e, const char* prefix) {
    message = errorMessage(e, prefix);
    code = errorCode(e);
  }
  // Adds the kept code to the Error AsyncWorker built from the message.
  Napi::Value attach(const Napi::Error& err) const {
    Napi::Error e = err;
    if (!code.empty()) e.Set("code", Napi::String::New(e.Env(), code));
    return e.Value();
  }
};

}  // namespace trimnet_native
