"""scikit-learn reference for seglens' k-means benchmark (src/bench/bench-kmeans.ts).

For every float32 [n, d] .npy file in --dir (sorted by name): L2-normalize the rows and fit
KMeans(n_clusters=--k, n_init=10, random_state=0), the call a Python version of the same protocol would make.
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
    args = parser.parse_args()
    results = {}
    for path in sorted(args.dir.glob("*.npy")):
        x = np.load(path).astype(np.float32, copy=False)
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), np.finfo(np.float32).tiny)
        start = time.perf_counter()
        fit = KMeans(n_clusters=args.k, n_init=10, random_state=0).fit(x)
        results[path.name] = {"ms": 1000 * (time.perf_counter() - start), "inertia": float(fit.inertia_)}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
