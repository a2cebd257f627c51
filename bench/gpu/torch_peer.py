#!/usr/bin/env python3
"""PyTorch peer for bench/gpu: times torch.matmul (cuBLAS FP32: TF32 off) and torch.linalg.svd
(cuSOLVER) on the same GPU, and device-to-device copy bandwidth. Prints the results so far as
one JSON line after every measurement (report.py reads the last line), so a peer stopped by a
time limit still leaves what it measured.

  python3 torch_peer.py [max_svd_n]      env TORCH_SVD_BUDGET_S (default 60)
"""
import json
import os
import sys
import time

try:
    import torch
except Exception as e:  # no PyTorch for this interpreter: say so, in the JSON the report reads
    print(json.dumps({"error": f"PyTorch is not importable by {sys.executable}: {e}"}))
    print(f"torch_peer: PyTorch is not importable by {sys.executable}: {e} (set PYTHON=...)", file=sys.stderr)
    sys.exit(2)


def emit(out):
    print(json.dumps(out), flush=True)


def cuda_ms(fn, reps):
    fn()  # warm-up
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / reps


def main():
    max_svd = int(sys.argv[1]) if len(sys.argv) > 1 else 4096
    if not torch.cuda.is_available():
        why = f"torch {torch.__version__} sees no CUDA device" + ("" if torch.version.cuda else " (a CPU-only build of PyTorch)")
        print(json.dumps({"error": why, "torch": torch.__version__}))
        print(f"torch_peer: {why}", file=sys.stderr)
        return 2
    torch.backends.cuda.matmul.allow_tf32 = False  # cuBLAS FP32 SGEMM, the baseline
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device("cuda")
    out = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "gemm": [], "svd": []}
    g = torch.Generator(device=dev).manual_seed(0)
    for n in (1024, 2048, 4096, 8192):
        a = torch.rand(n, n, device=dev, generator=g) * 2 - 1
        b = torch.rand(n, n, device=dev, generator=g) * 2 - 1
        c = torch.empty(n, n, device=dev)
        reps = int(min(50, max(3, 4e12 / (2.0 * n ** 3))))
        ms = cuda_ms(lambda: torch.matmul(a, b, out=c), reps)
        torch.backends.cuda.matmul.allow_tf32 = True
        ms32 = cuda_ms(lambda: torch.matmul(a, b, out=c), reps)
        torch.backends.cuda.matmul.allow_tf32 = False
        out["gemm"].append({"n": n, "ms": ms, "tf32_ms": ms32})
        emit(out)
        del a, b, c
    x = torch.empty(65536 * 2048, device=dev)
    y = torch.empty_like(x)
    ms = cuda_ms(lambda: y.copy_(x), 20)
    out["copy"] = {"bytes": x.numel() * 4, "ms": ms, "gbps": 2 * x.numel() * 4 / ms / 1e6}
    # colStats peer: relu then four column reductions, as PyTorch would write it (unfused)
    x2 = x.view(65536, 2048)
    def stats():
        a = torch.relu(x2)
        return a.sum(0, dtype=torch.float64), a.abs().sum(0, dtype=torch.float64), (a == 0).sum(0), a.amax(0)
    out["colstats_torch_ms"] = cuda_ms(stats, 20)
    emit(out)
    del x, y, x2
    budget = float(os.environ.get("TORCH_SVD_BUDGET_S", "60"))
    t_start, last = time.perf_counter(), 0.0
    n = 256
    while n <= max_svd:
        if last and time.perf_counter() - t_start + 10 * last > budget:
            out["svd"].append({"n": n, "skipped": f"estimated {10 * last:.0f} s, over the budget"})
            break
        a = torch.rand(n, n, device=dev, generator=g) * 2 - 1
        reps = 3 if n <= 1024 else 1
        if n <= 1024:
            torch.linalg.svd(a, full_matrices=False)  # warm-up (cuSOLVER handle, workspace)
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(reps):
            torch.linalg.svd(a, full_matrices=False)
        torch.cuda.synchronize()
        last = (time.perf_counter() - t0) / reps
        out["svd"].append({"n": n, "ms": last * 1000})
        emit(out)
        n *= 2
    out["done"] = True
    emit(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
