// svd / svdAsync entry points (filled by the SVD issue).
#include "bindings.h"

namespace trimnet_native {

void registerSvd(Napi::Env, Napi::Object) {}

}  // namespace trimnet_native
