"""scikit-learn reference for seglens' k-means benchmark (src/bench/bench-kmeans.ts).

For every float32 [n, d] .npy file in --dir (sorted by name): L2-normalize the rows and fit
KMeans(n_clusters=--k, n_init=--n-init, random_state=0), the call a Python version of the same
protocol would make. --n-init is a number (default 10) or "default" (scikit-learn's own default,
"auto": one run with k-means++ since scikit-learn 1.4; the explorer's benchmark reports it beside n_init=1).
Prints one JSON object: {"<file name>": {"ms": fit time, "inertia": inertia_}, ...}.
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--k", type=int, default=6)
    parser.add_argument("--n-init", default="10")
    args = parser.parse_args()
    n_init = {} if args.n_init == "default" else {"n_init": int(args.n_init)}
    results = {}
    for path in sorted(args.dir.glob("*.npy")):
        x = np.load(path).astype(np.float32, copy=False)
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), np.finfo(np.float32).tiny)
        start = time.perf_counter()
        fit = KMeans(n_clusters=args.k, random_state=0, **n_init).fit(x)
        results[path.name] = {"ms": 1000 * (time.perf_counter() - start), "inertia": float(fit.inertia_)}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
