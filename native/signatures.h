// One description of each entry point's positional arguments, used for the arity check and
// exported as `signatures` ({ gemm: ['m', 'n', …], 'cuda.gemm': […], … }). The TypeScript side
// describes the same entry points in src/backend/addon-api.ts, and loadAddon refuses a binding
// whose signatures differ (a stale build), so the two cannot drift apart silently.
#pragma once
#include <napi.h>

#include <string>
#include <vector>

namespace trimnet_native {

struct Signature {
  const char* name;  // as exported ("gemm", "cuda.gemm")
  std::vector<const char*> args;
};

#define TRIMNET_GEMM_ARGS "m", "n", "k", "A", "B", "C", "transA", "transB", "alpha", "beta", "bias", "activation", "slope"
#define TRIMNET_COLSTATS_ARGS "x", "rows", "cols", "activation", "slope", "sum", "sumAbs", "zeros", "max", "writeBack"

inline const Signature kInfo{"info", {}};
inline const Signature kSetThreads{"setThreads", {"threads"}};
inline const Signature kGemm{"gemm", {TRIMNET_GEMM_ARGS}};
inline const Signature kGemmAsync{"gemmAsync", {TRIMNET_GEMM_ARGS}};
inline const Signature kColStats{"colStats", {TRIMNET_COLSTATS_ARGS}};
inline const Signature kSvd{"svd", {"A", "m", "n", "full"}};
inline const Signature kSvdAsync{"svdAsync", {"A", "m", "n", "full"}};
inline const Signature kCholesky64{"cholesky64", {"A", "n", "minPivot"}};
inline const Signature kSolveLower64{"solveLower64", {"L", "n", "X", "k", "transposed"}};
inline const Signature kFirstNonFinite{"firstNonFinite", {"x"}};
inline const Signature kMlpPlan{"mlpPlan", {"weights", "biases", "sizes", "activations", "slopes", "frozen"}};
inline const Signature kMlpForwardOne{"mlpForwardOne", {"plan", "x", "out"}};
inline const Signature kMlpForwardRows{"mlpForwardRows", {"plan", "x", "rows", "out"}};
inline const Signature kCudaGemm{"cuda.gemm", {TRIMNET_GEMM_ARGS, "allowTF32"}};
inline const Signature kCudaGemmAsync{"cuda.gemmAsync", {TRIMNET_GEMM_ARGS, "allowTF32"}};
inline const Signature kCudaColStats{"cuda.colStats", {TRIMNET_COLSTATS_ARGS}};
inline const Signature kCudaSvd{"cuda.svd", {"A", "m", "n"}};
inline const Signature kCudaSvdAsync{"cuda.svdAsync", {"A", "m", "n"}};
inline const Signature kCudaUpload{"cuda.upload", {"data"}};
inline const Signature kCudaDeviceInfo{"cuda.deviceInfo", {}};
inline const Signature kCudaStats{"cuda.stats", {}};

inline std::string argList(const Signature& s) {
  std::string out;
  for (const char* a : s.args) out += (out.empty() ? "" : ", ") + std::string(a);
  return out;
}

// "<name> expects N arguments, received M (a, b, …)" unless exactly N were passed.
inline void checkArity(const Napi::CallbackInfo& info, const Signature& s) {
  const size_t n = s.args.size();
  if (info.Length() == n) return;
  throw Napi::TypeError::New(info.Env(), std::string(s.name) + " expects " + std::to_string(n) + " argument" +
                                             (n == 1 ? "" : "s") + ", received " + std::to_string(info.Length()) +
                                             " (" + argList(s) + ")");
}

// Sets target[the part of s.name after any "cuda."] = fn and records the signature in
// exports.signatures (created by addon.cpp before any register* runs).
inline void exportFunction(Napi::Env env, Napi::Object exports, Napi::Object target, const Signature& s,
                           Napi::Function::Callback cb, void* data = nullptr) {
  std::string full = s.name;
  std::string local = full.substr(full.find('.') == std::string::npos ? 0 : full.find('.') + 1);
  target.Set(local, Napi::Function::New(env, cb, local, data));
  Napi::Array args = Napi::Array::New(env, s.args.size());
  for (uint32_t i = 0; i < s.args.size(); i++) args.Set(i, s.args[i]);
  exports.Get("signatures").As<Napi::Object>().Set(full, args);
}

}  // namespace trimnet_native
