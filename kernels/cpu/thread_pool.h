// A persistent pool of worker threads (created once, reused by every call; no thread creation
// per GEMM). The caller of run() takes part as worker 0.
#pragma once

namespace trimnet {

using PoolTask = void (*)(void* ctx, int tid, int nthreads);

// Runs task(ctx, tid, n) for tid = 0..n-1 on n threads (the caller is tid 0) and returns when
// all are done. If the pool is busy (another call, e.g. an async GEMM on the libuv pool, holds
// it) the task runs on the caller alone with n = 1. A worker that has not started by the time
// the caller finishes its own call is not waited for, so tasks must take their work from a
// shared counter (never a fixed share per tid) and the caller's call must leave none undone.
void pool_run(int nthreads, PoolTask task, void* ctx);

// pool_run for latency-bound work (one request): only workers spinning right now join, none is
// woken (a wake-up is a syscall here and tens of µs before the worker runs, more than such a task
// gains). With no worker spinning the caller runs the task alone (and false is returned).
bool pool_run_hot(int nthreads, PoolTask task, void* ctx);

// Wakes up to nthreads − 1 workers to spin for a while without work, so that the next
// pool_run_hot finds them (called after a request that ran alone, when requests come often).
void pool_wake(int nthreads);

}  // namespace trimnet
