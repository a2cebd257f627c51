#!/usr/bin/env python3
"""Embeddings for the alignment benchmark (bench/align.bench.mjs), from two PyTorch MLPs trained
on the full Fashion-MNIST with different seeds and widths:

  A: 784-256-128-10, seed 0      B: 784-256-64-10, seed 1      (ReLU, 8 epochs Adam, lr 1e-3, batch 128)

The penultimate layer (the last hidden layer, after ReLU: dims 128 and 64) of every training and
test image is written to bench/data/ as float32 .npy:
  emb_a_train.npy [60000, 128]  emb_a_test.npy [10000, 128]
  emb_b_train.npy [60000, 64]   emb_b_test.npy [10000, 64]
  labels_train.npy, labels_test.npy (int64)
plus the models as safetensors-free state dicts (model_a.pt, model_b.pt) and a JSON summary line.

Run with Debian's interpreter: /usr/bin/python3 bench/peers/make_embeddings.py [out_dir]
"""
import gzip
import json
import pathlib
import sys

import numpy as np
import torch
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parents[2]
FMNIST = pathlib.Path("/usr/share/datasets/fashion-mnist")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load():
    xtr = read_idx(FMNIST / "train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255.0
    ytr = read_idx(FMNIST / "train-labels-idx1-ubyte.gz").astype(np.int64)
    xte = read_idx(FMNIST / "t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255.0
    yte = read_idx(FMNIST / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    return xtr, ytr, xte, yte


def train(sizes, seed, xtr, ytr, epochs=8, batch=128, lr=1e-3):
    torch.manual_seed(seed)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    x = torch.from_numpy(xtr)
    y = torch.from_numpy(ytr)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=g)
        for s in range(0, len(x), batch):
            idx = perm[s: s + batch]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
    return model


def penultimate(model, x):
    with torch.no_grad():
        return model[:-1](torch.from_numpy(x)).numpy().astype(np.float32)


def main(out):
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(2)
    xtr, ytr, xte, yte = load()
    summary = {}
    for name, sizes, seed in (("a", [784, 256, 128, 10], 0), ("b", [784, 256, 64, 10], 1)):
        model = train(sizes, seed, xtr, ytr)
        with torch.no_grad():
            acc = float((model(torch.from_numpy(xte)).argmax(1).numpy() == yte).mean())
        np.save(out / f"emb_{name}_train.npy", penultimate(model, xtr))
        np.save(out / f"emb_{name}_test.npy", penultimate(model, xte))
        torch.save(model.state_dict(), out / f"model_{name}.pt")
        summary[name] = {"sizes": sizes, "seed": seed, "test_accuracy": acc}
    np.save(out / "labels_train.npy", ytr)
    np.save(out / "labels_test.npy", yte)
    print(json.dumps(summary))


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench" / "data")
