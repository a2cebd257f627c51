#!/usr/bin/env python3
"""Merges the driver's JSON (one file per stage) and the PyTorch peer's JSON into one markdown
table: conformance counts, SGEMM vs cuBLAS FP32, colStats vs device-to-device copy, SVD vs
torch.linalg.svd, each with its target from issue 15 (H200).

  python3 report.py torch.json out.md driver_stage.json...

Every input may be missing, empty, cut short or an error: the table says so and is still written.
"""
import datetime
import json
import os
import sys


def load(path):
    """The last complete JSON object in the file (the peer prints one line per measurement)."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        return {"error": f"{os.path.basename(path)}: {e.strerror}"}
    try:
        return json.loads(text)
    except ValueError:
        pass
    for line in reversed(text.splitlines()):
        try:
            v = json.loads(line)
            if isinstance(v, dict):
                return v
        except ValueError:
            continue
    return {"error": f"{os.path.basename(path)}: no JSON results" + (" (empty)" if not text.strip() else "")}


def fmt_ms(ms):
    return f"{ms:.3f} ms" if ms < 10 else f"{ms:.1f} ms"


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    pt, out_path = load(sys.argv[1]), sys.argv[2]
    drv, errors, failures, incomplete = {}, [], 0, []
    for path in sys.argv[3:]:  # one JSON per driver stage: merge
        part = load(path)
        stage = os.path.basename(path)
        stage = stage[len("gpu_driver_"):] if stage.startswith("gpu_driver_") else stage
        stage = stage[: -len(".json")] if stage.endswith(".json") else stage
        if "error" in part:
            errors.append(part.pop("error"))
            failures += 1 if "failures" not in part else 0
        elif not part.get("done"):
            incomplete.append(stage)
        failures += int(part.pop("failures", 0) or 0)
        part.pop("done", None)
        drv.update(part)
    if not sys.argv[3:]:
        errors.append("no driver results")
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# trimnet CUDA kernels vs PyTorch (bench/gpu)",
        "",
        f"GPU: **{drv.get('device', pt.get('device', '?'))}** (cc {drv.get('cc', '?')}), "
        f"torch {pt.get('torch', '?')}, {now}. Produced by `bash bench/gpu/run.sh`.",
        "",
    ]
    for key in ("gemm_conformance", "host_conformance", "colstats_conformance", "svd_conformance"):
        c = drv.get(key)
        name = key.replace("_", " ")
        if c:
            lines.append(f"- {name}: {c['cases']} cases, {c['failed']} failed{' ✔' if c['failed'] == 0 else ' ✘'}")
        else:
            lines.append(f"- {name}: not run")
    for e in errors:
        lines.append(f"- driver error: {e}")
    if incomplete:
        lines.append(f"- driver stages cut short (no final write): {', '.join(incomplete)}")
    if "error" in pt:
        lines.append(f"- torch peer error: {pt['error']}")
    elif pt and not pt.get("done"):
        lines.append("- torch peer cut short: its later rows are missing")
    lines += [
        "",
        "| op | size | trimnet | PyTorch | ratio (PyTorch time / trimnet time) | target |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    tg = {g["n"]: g for g in pt.get("gemm", [])}
    for g in drv.get("gemm", []):
        n = g["n"]
        fl = 2.0 * n**3
        p = tg.get(n)
        ours = f"{fmt_ms(g['ms'])}, {fl / g['ms'] / 1e9:.1f} TFLOP/s" + ("" if g.get("ok", True) else " WRONG")
        target = "≥ 0.90 (floor 0.80)" if n >= 4096 else ""
        if p:
            ratio = p["ms"] / g["ms"]
            mark = (" ✔" if ratio >= 0.9 else " (floor met)" if ratio >= 0.8 else " ✘") if n >= 4096 else ""
            theirs = f"{fmt_ms(p['ms'])}, {fl / p['ms'] / 1e9:.1f} TFLOP/s"
            lines.append(f"| SGEMM FP32 (cuBLAS: torch.matmul, TF32 off) | {n}³ | {ours} | {theirs} | {ratio:.2f}{mark} | {target} |")
        else:
            lines.append(f"| SGEMM FP32 | {n}³ | {ours} | – | – | {target} |")
    for g in drv.get("gemm", []):
        n = g["n"]
        fl = 2.0 * n**3
        p = tg.get(n)
        if "tf32_ms" in g:
            theirs = f"{fmt_ms(p['tf32_ms'])}, {fl / p['tf32_ms'] / 1e9:.1f} TFLOP/s" if p else "–"
            r = p["tf32_ms"] / g["tf32_ms"] if p else None
            ratio = f"{r:.2f}{' ✔' if r >= 0.7 else ' ✘'}" if r is not None else "–"
            lines.append(f"| SGEMM TF32 (allowTF32; cuBLAS TF32: torch.matmul, TF32 on) | {n}³ | {fmt_ms(g['tf32_ms'])}, {fl / g['tf32_ms'] / 1e9:.1f} TFLOP/s | {theirs} | {ratio} | ≥ 0.70 |")
    cs = drv.get("colstats")
    if cs:
        r = cs["gbps"] / cs["copy_gbps"]
        size = f"{cs['rows']}×{cs['cols']}"
        lines.append(f"| colStats relu, read-only (vs D2D cudaMemcpy, read+write bytes) | {size} | {fmt_ms(cs['ms'])}, {cs['gbps']:.0f} GB/s | copy {fmt_ms(cs['copy_ms'])}, {cs['copy_gbps']:.0f} GB/s | {r:.2f}{' ✔' if r >= 0.8 else ' ✘'} | ≥ 0.80 of copy bandwidth |")
        r2 = cs["writeback_gbps"] / cs["copy_gbps"]
        lines.append(f"| colStats gelu + write-back (vs D2D copy) | {size} | {fmt_ms(cs['writeback_ms'])}, {cs['writeback_gbps']:.0f} GB/s | copy {cs['copy_gbps']:.0f} GB/s | {r2:.2f} | |")
        if "copy" in pt:
            lines.append(f"| D2D copy as torch measures it (y.copy_(x)) | {size} | | {fmt_ms(pt['copy']['ms'])}, {pt['copy']['gbps']:.0f} GB/s | | |")
        if "colstats_torch_ms" in pt:
            lines.append(f"| colStats relu vs unfused torch (relu, sum, abs-sum, ==0, amax) | {size} | {fmt_ms(cs['ms'])} | {fmt_ms(pt['colstats_torch_ms'])} | {pt['colstats_torch_ms'] / cs['ms']:.2f} | |")
    ts = {s["n"]: s for s in pt.get("svd", [])}
    for s in drv.get("svd", []):
        n = s["n"]
        p = ts.get(n)
        target = "≥ 1.0" if n == 1024 else ""
        if "skipped" in s:
            ours = f"skipped ({s['skipped']})"
        else:
            ours = f"{fmt_ms(s['ms'])} ({s['sweeps']} sweeps, recon {s['recon']:.0e})" + ("" if s.get("ok", True) else " WRONG")
        if p and "ms" in p and "ms" in s:
            ratio = p["ms"] / s["ms"]
            mark = (" ✔" if ratio >= 1 else " ✘") if n == 1024 else ""
            lines.append(f"| SVD thin (cuSOLVER: torch.linalg.svd) | {n}² | {ours} | {fmt_ms(p['ms'])} | {ratio:.2f}{mark} | {target} |")
        else:
            theirs = f"skipped ({p['skipped']})" if p and "skipped" in p else "–"
            lines.append(f"| SVD thin | {n}² | {ours} | {theirs} | – | {target} |")
    lines += ["", f"Conformance and check failures: {failures}", ""]
    text = "\n".join(lines)
    print(text)
    tmp = out_path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, out_path)


if __name__ == "__main__":
    main()
