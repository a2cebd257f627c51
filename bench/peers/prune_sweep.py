"""PyTorch peer for bench/prune.bench.mjs: the same one-shot activation-pruning sweep trimnet runs.

Loads the reference 784-512-256-10 model (safetensors), collects per-neuron mean activations on the
training images, then for each λ removes the hidden neurons with mean < λ physically (new, smaller
nn.Linear layers; optional bias compensation) and evaluates on the test images. Prints timings and
rows as JSON on the last line. Usage: prune_sweep.py MODEL DATA_DIR THRESHOLDS(comma) COMPENSATE(0|1)
"""
import gzip
import json
import pathlib
import struct
import sys
import time

import numpy as np
import torch


def load_idx(path):
    raw = gzip.open(path).read()
    rank = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load_split(d, s):
    x = torch.from_numpy(load_idx(d / f"{s}-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255.0)
    y = torch.from_numpy(load_idx(d / f"{s}-labels-idx1-ubyte.gz").astype(np.int64))
    return x, y


def load_model(path):
    raw = pathlib.Path(path).read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    sd = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        sd[k] = torch.from_numpy(np.frombuffer(raw[8 + n + a:8 + n + b], dtype="<f4").reshape(v["shape"]).copy())
    idx = sorted({int(k.split(".")[0]) for k in sd})
    return [(sd[f"{i}.weight"], sd[f"{i}.bias"]) for i in idx]


def forward(layers, x):
    for i, (w, b) in enumerate(layers):
        x = torch.nn.functional.linear(x, w, b)
        if i < len(layers) - 1:
            x = torch.relu(x)
    return x


def main():
    model_path, data_dir, ths, comp = sys.argv[1], pathlib.Path(sys.argv[2]), [float(t) for t in sys.argv[3].split(",")], sys.argv[4] == "1"
    torch.set_num_threads(2)
    layers = load_model(model_path)
    xtr, _ = load_split(data_dir, "train")
    xte, yte = load_split(data_dir, "t10k")
    with torch.no_grad():
        t0 = time.perf_counter()
        means = []
        sums = [torch.zeros(w.shape[0], dtype=torch.float64) for w, _ in layers[:-1]]
        for s in range(0, xtr.shape[0], 1024):
            h = xtr[s:s + 1024]
            for i, (w, b) in enumerate(layers[:-1]):
                h = torch.relu(torch.nn.functional.linear(h, w, b))
                sums[i] += h.sum(0, dtype=torch.float64)
        means = [s / xtr.shape[0] for s in sums]
        t_stats = time.perf_counter() - t0
        rows = []
        for lam in ths:
            keep = [torch.nonzero(m >= lam).flatten() for m in means]
            new = []
            for i, (w, b) in enumerate(layers):
                w, b = w.clone(), b.clone()
                if i > 0:
                    gone = torch.nonzero(means[i - 1] < lam).flatten()
                    if comp and len(gone):
                        b = (b.double() + w[:, gone].double() @ means[i - 1][gone]).float()
                    w = w[:, keep[i - 1]].contiguous()
                if i < len(layers) - 1:
                    w, b = w[keep[i]].contiguous(), b[keep[i]].contiguous()
                new.append((w, b))
            acc = float((forward(new, xte).argmax(1) == yte).double().mean())
            rows.append({"threshold": lam, "kept": [len(k) for k in keep], "params": sum(w.numel() + b.numel() for w, b in new), "accuracy": acc})
        total = time.perf_counter() - t0
    print(json.dumps({"statsSeconds": t_stats, "seconds": total, "rows": rows, "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
