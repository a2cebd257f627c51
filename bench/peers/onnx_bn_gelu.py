#!/usr/bin/env python3
"""The end-to-end model of bench/onnx.bench.mjs: a PyTorch MLP with BatchNorm1d, GELU and Dropout
(784-256-BN-GELU-Dropout-128-BN-GELU-10), trained briefly on Fashion-MNIST with Debian's
python3-torch, then exported with torch.onnx.export (TorchScript exporter, opset 17, dynamic
batch). Usage: onnx_bn_gelu.py DATA_DIR OUT.onnx EPOCHS ROWS (train on the first ROWS images). Prints one JSON line (test accuracy)."""
import gzip
import json
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


def main(data_dir, out, epochs, rows):
    torch.manual_seed(0)
    x = torch.from_numpy(load_idx(f"{data_dir}/train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    y = torch.from_numpy(load_idx(f"{data_dir}/train-labels-idx1-ubyte.gz").astype(np.int64))
    x, y = x[:rows], y[:rows]
    xt = torch.from_numpy(load_idx(f"{data_dir}/t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    yt = torch.from_numpy(load_idx(f"{data_dir}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    model = nn.Sequential(nn.Linear(784, 256), nn.BatchNorm1d(256), nn.GELU(), nn.Dropout(0.1),
                          nn.Linear(256, 128), nn.BatchNorm1d(128), nn.GELU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    t0 = time.time()
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 128):
            idx = perm[i:i + 128]
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(xt).argmax(1) == yt).float().mean().item()
    torch.onnx.export(model, (xt[:2],), out, opset_version=17, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    print(json.dumps({"torchTestAccuracy": acc, "trainSeconds": time.time() - t0}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
