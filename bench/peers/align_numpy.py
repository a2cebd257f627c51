#!/usr/bin/env python3
"""Peers for bench/align.bench.mjs (Debian python3-scipy/numpy on OpenBLAS). Prints one JSON line.

  procrustes N D     scipy.linalg.orthogonal_procrustes on float32 N×D pairs (median seconds)
  retrieval N D      cosine P@1/5/10 over N×N in numpy float32 (normalise, Q·Kᵀ, rank of the partner)
  svd M N            scipy.linalg.svd(float32, lapack_driver='gesdd') (median seconds)
  probe DATA_DIR     sklearn LogisticRegression on standardised A, B, [A, B] (train → test accuracy)
"""
import json
import sys
import time

import numpy as np


def median_time(fn, reps=3):
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def main(argv):
    mode = argv[0]
    rng = np.random.default_rng(0)
    if mode == "procrustes":
        import scipy.linalg
        n, d = int(argv[1]), int(argv[2])
        A = rng.standard_normal((n, d), dtype=np.float32)
        B = rng.standard_normal((n, d), dtype=np.float32)
        print(json.dumps({"seconds": median_time(lambda: scipy.linalg.orthogonal_procrustes(A, B), reps=2)}))
    elif mode == "retrieval":
        n, d = int(argv[1]), int(argv[2])
        K = rng.standard_normal((n, d), dtype=np.float32)
        Q = K + rng.standard_normal((n, d), dtype=np.float32)

        def run():
            q = Q / np.linalg.norm(Q, axis=1, keepdims=True)
            k = K / np.linalg.norm(K, axis=1, keepdims=True)
            s = q @ k.T
            rank = (s > np.diag(s)[:, None]).sum(1)
            return [float((rank < t).mean()) for t in (1, 5, 10)]

        p = run()
        print(json.dumps({"seconds": median_time(run, reps=2), "p1": p[0], "p5": p[1], "p10": p[2]}))
    elif mode == "svd":
        import scipy.linalg
        m, n = int(argv[1]), int(argv[2])
        a = rng.standard_normal((m, n), dtype=np.float32)
        print(json.dumps({"seconds": median_time(lambda: scipy.linalg.svd(a, full_matrices=False, lapack_driver="gesdd"))}))
    elif mode == "probe":
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler
        d = argv[1]
        a_tr, a_te = np.load(f"{d}/emb_a_train.npy"), np.load(f"{d}/emb_a_test.npy")
        b_tr, b_te = np.load(f"{d}/emb_b_train.npy"), np.load(f"{d}/emb_b_test.npy")
        y_tr, y_te = np.load(f"{d}/labels_train.npy"), np.load(f"{d}/labels_test.npy")
        out = {}
        for name, tr, te in (("a", a_tr, a_te), ("b", b_tr, b_te), ("concat", np.hstack([a_tr, b_tr]), np.hstack([a_te, b_te]))):
            sc = StandardScaler().fit(tr)
            clf = LogisticRegression(max_iter=300).fit(sc.transform(tr), y_tr)
            out[name] = float(clf.score(sc.transform(te), y_te))
        print(json.dumps(out))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])
