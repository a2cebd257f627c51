// CPU emulation of the CUDA runtime and of kernel launches (see include/cuda_runtime.h).
//
// A launch runs its blocks one at a time. A block's threads are fibers on their own stacks
// (a small x86-64 context switch below); the scheduler resumes each live fiber in turn until it
// reaches a barrier or returns, and starts the next phase once every live fiber waits at the
// barrier. Fibers waiting at different barrier counts (a __syncthreads some threads skip) are
// reported as divergent. EMU_ORDER = fwd | rev | rand picks the order within a phase.
// EMU_NO_GRAPH=1 makes stream capture fail (the fallback path of svd.cu).
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define EMU_ASAN 1
#endif

// ---- context switch (System V x86-64: callee-saved registers, mxcsr and the x87 control word) ----
extern "C" void emu_switch(void** save_sp, void* new_sp);
asm(R"(
.text
.globl emu_switch
.type emu_switch,@function
emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
.size emu_switch, .-emu_switch
.section .note.GNU-stack,"",@progbits
.text
)");

namespace emu {

uint3 g_threadIdx{0, 0, 0}, g_blockIdx{0, 0, 0};
dim3 g_blockDim, g_gridDim;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "EMU FAILURE: %s (block %u,%u,%u thread %u,%u,%u)\n", what, g_blockIdx.x, g_blockIdx.y, g_blockIdx.z,
               g_threadIdx.x, g_threadIdx.y, g_threadIdx.z);
  std::abort();
}

namespace {

constexpr size_t STACK = 256 * 1024;

struct Fiber {
  void* sp = nullptr;
  char* stack = nullptr;
  uint3 tid{};
  bool done = false, waiting = false;
  long barriers = 0;
};

struct Fibers : std::vector<Fiber> {
  ~Fibers() {
    for (Fiber& f : *this) std::free(f.stack);
  }
} g_fibers;
void* g_sched_sp = nullptr;
int g_cur = -1;
const std::function<void()>* g_body = nullptr;
std::vector<double> g_slots;
cudaError_t g_last = cudaSuccess;
int g_depth = 0;  // launches do not nest
#ifdef EMU_ASAN
const void* g_sched_bottom = nullptr;
size_t g_sched_size = 0;
#endif

enum class Order { Fwd, Rev, Rand };
Order order() {
  static const Order o = [] {
    const char* e = std::getenv("EMU_ORDER");
    std::string s = e ? e : "fwd";
    return s == "rev" ? Order::Rev : s == "rand" ? Order::Rand : Order::Fwd;
  }();
  return o;
}
std::mt19937& rng() {
  static std::mt19937 r(12345);
  return r;
}

void toScheduler() {
  Fiber& f = g_fibers[g_cur];
#ifdef EMU_ASAN
  __sanitizer_start_switch_fiber(nullptr, g_sched_bottom, g_sched_size);
#endif
  emu_switch(&f.sp, g_sched_sp);
#ifdef EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
#endif
}

extern "C" void fiberMain() {
#ifdef EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &g_sched_bottom, &g_sched_size);
#endif
  (*g_body)();
  g_fibers[g_cur].done = true;
  toScheduler();
  fail("a finished fiber was resumed");
}

void* initialStack(char* stack) {
  auto top = reinterpret_cast<uintptr_t>(stack + STACK) & ~uintptr_t(15);
  auto* p = reinterpret_cast<uint64_t*>(top);
  *--p = 0;                                                 // fiberMain's (never used) return address
  *--p = reinterpret_cast<uint64_t>(&fiberMain);            // emu_switch's ret lands here
  for (int i = 0; i < 6; i++) *--p = 0;                     // rbp rbx r12 r13 r14 r15
  *--p = 0x037F00001F80ull;                                 // mxcsr (low) and x87 control word (high)
  return p;
}

void runBlock(const std::function<void()>& body, int nthreads) {
  if (int(g_fibers.size()) < nthreads) g_fibers.resize(nthreads);
  for (int t = 0; t < nthreads; t++) {
    Fiber& f = g_fibers[t];
    if (!f.stack) f.stack = static_cast<char*>(std::malloc(STACK));
    f.sp = initialStack(f.stack);
    f.done = f.waiting = false;
    f.barriers = 0;
    f.tid = uint3{unsigned(t % g_blockDim.x), unsigned(t / g_blockDim.x % g_blockDim.y),
                  unsigned(t / (g_blockDim.x * g_blockDim.y))};
  }
  g_body = &body;
  g_slots.assign(nthreads, 0.0);
  std::vector<int> idx(nthreads);
  for (int t = 0; t < nthreads; t++) idx[t] = t;
  int live = nthreads;
  while (live > 0) {
    if (order() == Order::Rev) std::reverse(idx.begin(), idx.end());
    if (order() == Order::Rand) std::shuffle(idx.begin(), idx.end(), rng());
    for (int t : idx) {
      Fiber& f = g_fibers[t];
      if (f.done || f.waiting) continue;
      g_cur = t;
      g_threadIdx = f.tid;
#ifdef EMU_ASAN
      __sanitizer_start_switch_fiber(nullptr, f.stack, STACK);
#endif
      emu_switch(&g_sched_sp, f.sp);
#ifdef EMU_ASAN
      __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
#endif
      if (f.done) live--;
    }
    long count = -1;
    for (int t = 0; t < nthreads; t++) {
      Fiber& f = g_fibers[t];
      if (f.done) continue;
      if (count >= 0 && f.barriers != count) {
        g_threadIdx = f.tid;
        fail("divergent barrier: threads of one block wait at different __syncthreads");
      }
      count = f.barriers;
      f.waiting = false;
    }
  }
  g_cur = -1;
}

bool validConfig(const Cfg& c) {
  const unsigned long long threads = 1ull * c.block.x * c.block.y * c.block.z;
  return c.grid.x >= 1 && c.grid.x <= 0x7fffffffu && c.grid.y >= 1 && c.grid.y <= 65535 && c.grid.z >= 1 &&
         c.grid.z <= 65535 && threads >= 1 && threads <= 1024 && c.block.z <= 64;
}

// ---- streams, capture, graphs ----
std::map<cudaStream_t, std::vector<std::function<void()>>*> g_capturing;

void runNow(const Cfg& c, const std::function<void()>& body) {
  if (g_depth++) fail("emu: nested launch");
  g_gridDim = c.grid;
  g_blockDim = c.block;
  const int nthreads = int(c.block.x * c.block.y * c.block.z);
  const unsigned long long nblocks = 1ull * c.grid.x * c.grid.y * c.grid.z;
  for (unsigned long long b = 0; b < nblocks; b++) {
    const unsigned long long bb = order() == Order::Rev ? nblocks - 1 - b : b;
    g_blockIdx = uint3{unsigned(bb % c.grid.x), unsigned(bb / c.grid.x % c.grid.y), unsigned(bb / (1ull * c.grid.x * c.grid.y))};
    runBlock(body, nthreads);
  }
  g_depth--;
}

bool capturing(cudaStream_t s) { return s && g_capturing.count(s); }

}  // namespace

void barrier() {
  if (g_cur < 0) fail("__syncthreads outside a kernel");
  Fiber& f = g_fibers[g_cur];
  f.barriers++;
  f.waiting = true;
  toScheduler();
}
double* shuffleSlots() { return g_slots.data(); }
int linearTid() { return g_cur; }

void run(const Cfg& c, std::function<void()> body) {
  if (!validConfig(c)) {
    std::fprintf(stderr, "emu: invalid launch configuration grid (%u,%u,%u) block (%u,%u,%u)\n", c.grid.x, c.grid.y, c.grid.z,
                 c.block.x, c.block.y, c.block.z);
    g_last = cudaErrorInvalidConfiguration;
    return;
  }
  if (capturing(c.stream)) {
    g_capturing[c.stream]->push_back([c, body] { runNow(c, body); });
    return;
  }
  runNow(c, body);
}

}  // namespace emu

// ---- runtime API ------------------------------------------------------------------------------
using emu::g_last;

struct EmuStream {
  int id;
};
struct EmuGraph {
  std::vector<std::function<void()>> launches;
};

static cudaError_t noteCapture(cudaStream_t s, const char* what) {
  if (emu::capturing(s)) {
    std::fprintf(stderr, "emu: %s on a capturing stream is not supported by the emulator\n", what);
    std::abort();
  }
  return cudaSuccess;
}

const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInsufficientDriver: return "cudaErrorInsufficientDriver";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorStreamCaptureUnsupported: return "cudaErrorStreamCaptureUnsupported";
    default: return "cudaError(emu)";
  }
}
const char* cudaGetErrorString(cudaError_t e) { return cudaGetErrorName(e); }
cudaError_t cudaGetLastError() {
  cudaError_t e = g_last;
  g_last = cudaSuccess;
  return e;
}
cudaError_t cudaGetDeviceCount(int* n) {
  *n = 1;
  return cudaSuccess;
}
cudaError_t cudaGetDevice(int* d) {
  *d = 0;
  return cudaSuccess;
}
// An H100's SM count (so work splits as on one), but compute capability 7.5: the TF32 (wmma)
// kernel is not emulated and the host code then uses the FP32 tiled kernel.
cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr a, int) {
  *v = a == cudaDevAttrMultiProcessorCount ? 132 : a == cudaDevAttrComputeCapabilityMajor ? 7 : 0;
  return cudaSuccess;
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int) {
  std::memset(p, 0, sizeof *p);
  std::snprintf(p->name, sizeof p->name, "CPU emulator (kernels/cuda/emu)");
  p->major = 7, p->minor = 5, p->multiProcessorCount = 132, p->l2CacheSize = 50 << 20;
  p->sharedMemPerMultiprocessor = 228 << 10;
  return cudaSuccess;
}
cudaError_t cudaMemGetInfo(size_t* f, size_t* t) {
  *f = *t = size_t(8) << 30;
  return cudaSuccess;
}
cudaError_t cudaDriverGetVersion(int* v) {
  *v = 13000;
  return cudaSuccess;
}
cudaError_t cudaRuntimeGetVersion(int* v) {
  *v = 13000;
  return cudaSuccess;
}
cudaError_t cudaDeviceGetDefaultMemPool(cudaMemPool_t* p, int) {
  *p = nullptr;
  return cudaSuccess;
}
cudaError_t cudaMemPoolSetAttribute(cudaMemPool_t, cudaMemPoolAttr, void*) { return cudaSuccess; }
static long g_allocs = 0;
cudaError_t cudaMalloc(void** p, size_t b) {
  *p = b ? std::malloc(b) : nullptr;
  if (b && !*p) return cudaErrorMemoryAllocation;
  if (*p) g_allocs++;
  return cudaSuccess;
}
cudaError_t cudaFree(void* p) {
  if (p) g_allocs--, std::free(p);
  return cudaSuccess;
}
cudaError_t cudaMallocAsync(void** p, size_t b, cudaStream_t s) {
  noteCapture(s, "cudaMallocAsync");
  return cudaMalloc(p, b);
}
cudaError_t cudaFreeAsync(void* p, cudaStream_t) { return cudaFree(p); }
cudaError_t cudaMemcpy(void* d, const void* s, size_t b, cudaMemcpyKind) {
  if (b) std::memcpy(d, s, b);
  return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void* d, const void* s, size_t b, cudaMemcpyKind k, cudaStream_t st) {
  noteCapture(st, "cudaMemcpyAsync");
  return cudaMemcpy(d, s, b, k);
}
cudaError_t cudaMemset(void* d, int v, size_t b) {
  if (b) std::memset(d, v, b);
  return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void* d, int v, size_t b, cudaStream_t s) {
  noteCapture(s, "cudaMemsetAsync");
  return cudaMemset(d, v, b);
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) {
  static int next = 100;
  *s = new EmuStream{next++};
  return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t s) {
  if (emu::capturing(s)) return cudaErrorInvalidValue;
  delete s;
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t s) {
  noteCapture(s, "cudaStreamSynchronize");
  return cudaSuccess;
}
cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
cudaError_t cudaStreamBeginCapture(cudaStream_t s, cudaStreamCaptureMode) {
  if (std::getenv("EMU_NO_GRAPH")) return cudaErrorStreamCaptureUnsupported;
  if (!s || s == cudaStreamPerThread || emu::capturing(s)) return cudaErrorStreamCaptureUnsupported;
  emu::g_capturing[s] = new std::vector<std::function<void()>>();
  return cudaSuccess;
}
cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t* g) {
  auto it = emu::g_capturing.find(s);
  if (it == emu::g_capturing.end()) return cudaErrorInvalidValue;
  *g = new EmuGraph{std::move(*it->second)};
  delete it->second;
  emu::g_capturing.erase(it);
  return cudaSuccess;
}
cudaError_t cudaGraphInstantiate(cudaGraphExec_t* e, cudaGraph_t g, unsigned long long) {
  *e = new EmuGraph(*g);
  return cudaSuccess;
}
cudaError_t cudaGraphLaunch(cudaGraphExec_t e, cudaStream_t s) {
  noteCapture(s, "cudaGraphLaunch");
  for (auto& f : e->launches) f();
  return cudaSuccess;
}
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t e) {
  delete e;
  return cudaSuccess;
}
cudaError_t cudaGraphDestroy(cudaGraph_t g) {
  delete g;
  return cudaSuccess;
}
cudaError_t cudaEventCreate(cudaEvent_t* e) {
  *e = new float(0);
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t, cudaStream_t) { return cudaSuccess; }
cudaError_t cudaEventSynchronize(cudaEvent_t) { return cudaSuccess; }
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t, cudaEvent_t) {
  *ms = 1;
  return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t e) {
  delete e;
  return cudaSuccess;
}

// Reported at exit: device allocations still live (a leak in the code under test).
namespace {
struct LeakReport {
  ~LeakReport() {
    if (g_allocs != 0) std::fprintf(stderr, "emu: %ld device allocations were never freed\n", g_allocs);
  }
} g_leakReport;
}  // namespace
