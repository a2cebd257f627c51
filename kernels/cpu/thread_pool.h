// A persistent pool of worker threads (created once, reused by every call; no thread creation
// per GEMM). The caller of run() takes part as worker 0.
#pragma once

namespace trimnet {

using PoolTask = void (*)(void* ctx, int tid, int nthreads);

// Runs task(ctx, tid, n) for tid = 0..n-1 on n threads (the caller is tid 0) and returns when
// all are done. If the pool is busy (another call, e.g. an async GEMM on the libuv pool, holds
// it) the task runs on the caller alone with n = 1, so tasks must accept any n >= 1.
void pool_run(int nthreads, PoolTask task, void* ctx);

}  // namespace trimnet
