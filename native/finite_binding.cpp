// firstNonFinite(x: Float32Array) -> index of the first NaN/±Infinity, or −1 (kernels/cpu/finite.h).
// The input checks of big matrices (alignment, SVD, training data) use it: a JS loop over
// 77 M floats takes ~100 ms, this ~15 ms.
#include "args.h"
#include "bindings.h"
#include "finite.h"
#include "signatures.h"

namespace trimnet_native {

static Napi::Value FirstNonFinite(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  checkArity(info, kFirstNonFinite);
  auto x = argArray<float>(info, 0, "x", 0);
  return Napi::Number::New(env, double(trimnet::first_non_finite(x.Data(), int64_t(x.ElementLength()))));
}

void registerFinite(Napi::Env env, Napi::Object exports) {
  exportFunction(env, exports, exports, kFirstNonFinite, FirstNonFinite);
}

}  // namespace trimnet_native
