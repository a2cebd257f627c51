#!/usr/bin/env python3
"""Merges the driver's JSON and the PyTorch peer's JSON into one markdown table.

  python3 report.py torch.json out.md driver_stage.json...
"""
import datetime
import json
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except Exception as e:  # a missing peer still gives a table
        return {"error": f"{path}: {e}"}


def main():
    pt, out_path = load(sys.argv[1]), sys.argv[2]
    drv, errors, failures = {}, [], 0
    for path in sys.argv[3:]:  # one JSON per driver stage: merge
        part = load(path)
        if "error" in part:
            errors.append(part.pop("error"))
            failures += 1 if "failures" not in part else 0
        failures += int(part.pop("failures", 0) or 0)
        drv.update(part)
    if not sys.argv[3:]:
        errors.append("no driver results")
    if errors:
        drv["error"] = "; ".join(errors)
    drv["failures"] = failures
    lines = [
        "# trimnet CUDA kernels vs PyTorch (bench/gpu)",
        "",
        f"GPU: **{drv.get('device', pt.get('device', '?'))}** (cc {drv.get('cc', '?')}), "
        f"torch {pt.get('torch', '?')}, {datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M UTC')}",
        "",
    ]
    for key in ("gemm_conformance", "colstats_conformance", "svd_conformance"):
        c = drv.get(key)
        if c:
            lines.append(f"- {key.replace('_', ' ')}: {c['cases']} cases, {c['failed']} failed")
    if "error" in drv:
        lines.append(f"- driver error: {drv['error']}")
    if "error" in pt:
        lines.append(f"- torch peer error: {pt['error']}")
    lines += ["", "| op | size | trimnet | PyTorch | ratio (trimnet speed / PyTorch) | target |", "| --- | --- | --- | --- | --- | --- |"]
    tg = {g["n"]: g for g in pt.get("gemm", [])}
    for g in drv.get("gemm", []):
        n = g["n"]
        fl = 2.0 * n ** 3
        p = tg.get(n)
        ours = f"{g['ms']:.3f} ms, {fl / g['ms'] / 1e9:.1f} TFLOP/s" + ("" if g.get("ok", True) else " WRONG")
        if p:
            ratio = p["ms"] / g["ms"]
            target = "≥ 0.80 (goal 0.90)" if n >= 4096 else ""
            mark = (" ✔" if ratio >= 0.8 else " ✘") if n >= 4096 else ""
            lines.append(f"| SGEMM FP32 (torch.matmul, TF32 off) | {n}³ | {ours} | {p['ms']:.3f} ms, {fl / p['ms'] / 1e9:.1f} TFLOP/s | {ratio:.2f}{mark} | {target} |")
        else:
            lines.append(f"| SGEMM FP32 | {n}³ | {ours} | – | – | |")
    for g in drv.get("gemm", []):
        n = g["n"]
        fl = 2.0 * n ** 3
        p = tg.get(n)
        if p and "tf32_ms" in g:
            lines.append(f"| SGEMM TF32 (allowTF32, info) | {n}³ | {g['tf32_ms']:.3f} ms, {fl / g['tf32_ms'] / 1e9:.1f} TFLOP/s | {p['tf32_ms']:.3f} ms, {fl / p['tf32_ms'] / 1e9:.1f} TFLOP/s | {p['tf32_ms'] / g['tf32_ms']:.2f} | |")
    cs = drv.get("colstats")
    if cs:
        r = cs["gbps"] / cs["copy_gbps"]
        lines.append(f"| colStats relu, read-only (vs D2D cudaMemcpy) | {cs['rows']}×{cs['cols']} | {cs['ms']:.3f} ms, {cs['gbps']:.0f} GB/s | copy {cs['copy_ms']:.3f} ms, {cs['copy_gbps']:.0f} GB/s | {r:.2f}{' ✔' if r >= 0.7 else ' ✘'} | ≥ 0.70 of copy bandwidth |")
        r2 = cs["writeback_gbps"] / cs["copy_gbps"]
        lines.append(f"| colStats gelu + write-back (vs D2D copy) | {cs['rows']}×{cs['cols']} | {cs['writeback_ms']:.3f} ms, {cs['writeback_gbps']:.0f} GB/s | copy {cs['copy_gbps']:.0f} GB/s | {r2:.2f} | |")
        if "colstats_torch_ms" in pt:
            lines.append(f"| colStats relu vs unfused torch (relu, sum, abs-sum, ==0, amax) | {cs['rows']}×{cs['cols']} | {cs['ms']:.3f} ms | {pt['colstats_torch_ms']:.3f} ms | {pt['colstats_torch_ms'] / cs['ms']:.2f} | |")
    ts = {s["n"]: s for s in pt.get("svd", [])}
    for s in drv.get("svd", []):
        n = s["n"]
        p = ts.get(n)
        ours = f"{s['ms']:.1f} ms ({s['sweeps']} sweeps, recon {s['recon']:.0e})" + ("" if s.get("ok", True) else " WRONG")
        if p:
            ratio = p["ms"] / s["ms"]
            mark = (" ✔" if ratio >= 1 else " ✘") if n == 1024 else ""
            lines.append(f"| SVD thin (torch.linalg.svd) | {n}² | {ours} | {p['ms']:.1f} ms | {ratio:.2f}{mark} | {'≥ 1.0' if n == 1024 else ''} |")
        else:
            lines.append(f"| SVD thin | {n}² | {ours} | – | – | |")
    lines += ["", f"Conformance failures: {drv.get('failures', '?')}", ""]
    text = "\n".join(lines)
    print(text)
    with open(out_path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
