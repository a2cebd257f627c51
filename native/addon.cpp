// trimnet native addon: module init and `info`. Each group of entry points lives in its own
// *_binding.cpp and registers itself here. Thin and strict: check, dispatch, convert errors.
#include <napi.h>

#include "args.h"
#include "bindings.h"
#include "gemm.h"
#include "signatures.h"

namespace trimnet_native {

static Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("version", TRIMNET_VERSION_STRING);
  CudaInfo cuda = cudaInfo();
  o.Set("cudaCompiled", cuda.compiled);
  o.Set("cudaStatus", cuda.status);
  Napi::Array feats = Napi::Array::New(env);
  uint32_t i = 0;
  for (const auto& f : trimnet::cpu_features()) feats.Set(i++, f);
  o.Set("cpuFeatures", feats);
  o.Set("kernel", trimnet::gemm_kernel_name());
  o.Set("threads", trimnet::num_threads());
  o.Set("l2CacheBytes", static_cast<double>(trimnet::l2_cache_bytes()));
  return o;
}

static Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  checkArity(info, kSetThreads);
  trimnet::set_num_threads(argInt(info, 0, "threads", 0, 1024));
  return info.Env().Undefined();
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("signatures", Napi::Object::New(env));
  exportFunction(env, exports, exports, kInfo, Info);
  exportFunction(env, exports, exports, kSetThreads, SetThreads);
  registerGemm(env, exports);
  registerSvd(env, exports);
  registerDense64(env, exports);
  registerFinite(env, exports);
  registerMlp(env, exports);
  registerCuda(env, exports);
  return exports;
}

}  // namespace trimnet_native

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return trimnet_native::Init(env, exports); }
NODE_API_MODULE(trimnet, InitAddon)
