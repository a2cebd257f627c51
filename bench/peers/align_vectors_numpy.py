#!/usr/bin/env python3
"""numpy peer for bench/align-vectors.bench.mjs (Debian python3-numpy on OpenBLAS). One JSON line.

  make N D DIR        writes the test data both sides read: DIR/q_N_D.npy, DIR/k_N_D.npy
  csls N D BLOCK DIR  CSLS top-10 (k = 10) of N queries over N keys, blocked brute force as faiss-less
                      MUSE setups do it: r(K_j) = mean of the 10 largest cos(K_j, Q) over blocks of K,
                      then per block of Q: scores = Q_b·Kᵀ − r/2, top 10 by argpartition + sort.
                      Data: K ~ N(0,1) float32 rows, Q = K + N(0,1) (seed 0), rows unit length.
                      Prints seconds (one run: it is minutes at 100k) and the top-1 indices' checksum.
  mutual N D BLOCK DIR  the refinement's dictionary induction: CSLS top-1 both ways, mutual pairs.
"""
import json
import sys
import time

import numpy as np


def make(n, d):
    rng = np.random.default_rng(0)
    K = rng.standard_normal((n, d), dtype=np.float32)
    Q = K + rng.standard_normal((n, d), dtype=np.float32)
    Q /= np.linalg.norm(Q, axis=1, keepdims=True)
    K /= np.linalg.norm(K, axis=1, keepdims=True)
    return Q, K


def mean_topk(A, B, k, block):
    out = np.empty(A.shape[0], dtype=np.float32)
    for s in range(0, A.shape[0], block):
        sc = A[s:s + block] @ B.T
        out[s:s + block] = np.partition(sc, -k, axis=1)[:, -k:].mean(1)
    return out


def csls_top(Q, K, top, k, block):
    half = mean_topk(K, Q, k, block) / 2
    idx = np.empty((Q.shape[0], top), dtype=np.int64)
    for s in range(0, Q.shape[0], block):
        sc = Q[s:s + block] @ K.T
        sc -= half
        part = np.argpartition(-sc, top - 1, axis=1)[:, :top]
        order = np.argsort(-np.take_along_axis(sc, part, 1), axis=1, kind="stable")
        idx[s:s + block] = np.take_along_axis(part, order, 1)
    return idx


def main(argv):
    if argv[0] == "make":
        n, d, dir_ = int(argv[1]), int(argv[2]), argv[3]
        Q, K = make(n, d)
        np.save(f"{dir_}/q_{n}_{d}.npy", Q)
        np.save(f"{dir_}/k_{n}_{d}.npy", K)
        print(json.dumps({"ok": True}))
        return
    mode, n, d, block, dir_ = argv[0], int(argv[1]), int(argv[2]), int(argv[3]), argv[4]
    Q, K = np.load(f"{dir_}/q_{n}_{d}.npy"), np.load(f"{dir_}/k_{n}_{d}.npy")
    t0 = time.perf_counter()
    if mode == "csls":
        idx = csls_top(Q, K, 10, 10, block)
        secs = time.perf_counter() - t0
        print(json.dumps({"seconds": secs, "top1": idx[:, 0].tolist()[:1000], "p1": float((idx[:, 0] == np.arange(n)).mean())}))
    elif mode == "mutual":
        st = csls_top(Q, K, 1, 10, block)[:, 0]
        ts = csls_top(K, Q, 1, 10, block)[:, 0]
        pairs = int((ts[st] == np.arange(n)).sum())
        print(json.dumps({"seconds": time.perf_counter() - t0, "pairs": pairs}))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])
