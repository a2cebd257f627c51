#!/usr/bin/env python3
"""PyTorch CPU peer for bench/mlp.bench.mjs (Debian's python3-torch).

  mlp_torch.py train DATA_DIR ROWS   one epoch of 784-512-256-10 ReLU, Adam 1e-3, batch 128, on the
                                     first ROWS training images; prints {"secondsPerEpoch", ...}
  mlp_torch.py export MODEL OUT      the safetensors MLP at MODEL as ONNX ([1, 784] -> [1, 10]) at OUT

Threads come from the environment (OMP_NUM_THREADS / OPENBLAS_NUM_THREADS), set by the caller.
"""
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
from torch import nn


def load_idx(path):
    raw = gzip.open(path).read()
    rank = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        assert v["dtype"] == "F32"
        b, e = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(data[8 + n + b:8 + n + e], dtype="<f4").reshape(v["shape"]).copy())
    return out


def model():
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))


def train(data_dir, rows):
    x = torch.from_numpy(load_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"))[:rows].reshape(-1, 784).astype(np.float32) / 255)
    y = torch.from_numpy(load_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"))[:rows].astype(np.int64))
    torch.manual_seed(0)
    m = model()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def epoch(limit=None):
        perm = torch.randperm(len(x))
        for i in range(0, len(x) if limit is None else min(len(x), limit), 128):
            idx = perm[i:i + 128]
            opt.zero_grad()
            loss = loss_fn(m(x[idx]), y[idx])
            loss.backward()
            opt.step()
        return float(loss)

    epoch(limit=128 * 10)  # warm-up
    t0 = time.perf_counter()
    loss = epoch()
    secs = time.perf_counter() - t0
    print(json.dumps({"secondsPerEpoch": secs, "rows": len(x), "lastLoss": loss, "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "omp": os.environ.get("OMP_NUM_THREADS"),
                      "openblas": os.environ.get("OPENBLAS_NUM_THREADS")}))


def export(model_path, out):
    m = model()
    m.load_state_dict(read_safetensors(model_path))
    m.eval()
    torch.onnx.export(m, torch.zeros(1, 784), out, input_names=["x"], output_names=["logits"], opset_version=13)
    print(json.dumps({"onnx": out}))


if __name__ == "__main__":
    if sys.argv[1] == "train":
        train(sys.argv[2], int(sys.argv[3]))
    else:
        export(sys.argv[2], sys.argv[3])
