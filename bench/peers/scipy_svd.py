"""Peer for bench/svd.bench.mjs: LAPACK's float32 sgesdd through scipy (Debian python3-scipy on
OpenBLAS; set OPENBLAS_NUM_THREADS in the environment). Usage: scipy_svd.py [--warm=SECONDS] MxN [MxN ...] (each shape run for SECONDS before it is timed)
Prints one JSON line: {"MxN": {"seconds": median wall, "cpu": median process CPU seconds, "reps": k}, ...} (thin SVD with U and V)."""
import json
import sys
import time

import numpy as np
import scipy.linalg


def bench(m, n, warm=0.0, min_time=1.0, min_reps=3):
    a = np.random.default_rng(0).uniform(-1, 1, (m, n)).astype(np.float32)
    u, s, vt = scipy.linalg.svd(a, full_matrices=False, lapack_driver="gesdd", check_finite=False)
    assert s.dtype == np.float32
    start = time.perf_counter()
    while time.perf_counter() - start < warm:  # as the caller warms its own side up
        scipy.linalg.svd(a, full_matrices=False, lapack_driver="gesdd", check_finite=False)
    times, cpu = [], []
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < min_time:
        t0, c0 = time.perf_counter(), time.process_time()
        scipy.linalg.svd(a, full_matrices=False, lapack_driver="gesdd", check_finite=False)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"seconds": float(np.median(times)), "cpu": float(np.median(cpu)), "reps": len(times)}


if __name__ == "__main__":
    out, warm = {}, 0.0
    for arg in sys.argv[1:]:
        if arg.startswith("--warm="):
            warm = float(arg.split("=")[1])
            continue
        m, n = map(int, arg.split("x"))
        out[arg] = bench(m, n, warm)
    print(json.dumps(out))
