"""numpy (OpenBLAS) float32 matmul peer for bench/gemm.bench.mjs.

Usage: numpy_gemm.py SIZES... [--latency]  -> prints one JSON line:
  {"gflops": {"64": ..., ...}, "gflops_best": {...}, "latency_us": p50 of x[1x784] @ W.T[784x512], "blas": {...}}
Timing: median (and best) of repeated runs filling ~0.3 s after a warm-up (as bench/lib.mjs timeMs).
"""
import json
import os
import sys
import time

import numpy as np


def median_time(fn, min_s=0.3, min_reps=3, max_reps=100000):
    fn()
    times = []
    start = time.perf_counter()
    while (len(times) < min_reps or time.perf_counter() - start < min_s) and len(times) < max_reps:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2], times[0]


def blas_info():
    info = {"numpy": np.__version__, "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS")}
    try:
        from threadpoolctl import threadpool_info

        info["threadpool"] = [
            {k: d.get(k) for k in ("internal_api", "version", "num_threads", "threading_layer", "architecture")}
            for d in threadpool_info()
        ]
    except Exception as e:  # threadpoolctl is optional
        info["threadpool"] = f"threadpoolctl not available ({type(e).__name__})"
    return info


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    rng = np.random.default_rng(0)
    out = {"gflops": {}, "gflops_best": {}, "blas": blas_info()}
    for s in map(int, args):
        a = rng.standard_normal((s, s), dtype=np.float32)
        b = rng.standard_normal((s, s), dtype=np.float32)
        c = np.empty((s, s), dtype=np.float32)
        t, best = median_time(lambda: np.matmul(a, b, out=c))
        out["gflops"][str(s)] = 2.0 * s**3 / t / 1e9
        out["gflops_best"][str(s)] = 2.0 * s**3 / best / 1e9
    if "--latency" in sys.argv:
        x = rng.standard_normal((1, 784), dtype=np.float32)
        w = rng.standard_normal((512, 784), dtype=np.float32)
        y = np.empty((1, 512), dtype=np.float32)
        t, _ = median_time(lambda: np.matmul(x, w.T, out=y), min_s=0.5)
        out["latency_us"] = t * 1e6
    print(json.dumps(out))


if __name__ == "__main__":
    main()
