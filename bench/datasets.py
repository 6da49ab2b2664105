"""Seeded benchmark data sets, made from what packages ship (no downloads).

- ``digits_784(n)``: scikit-learn's 8×8 digits upscaled to 28×28 (784 dims, bilinear), each copy
  shifted by up to one pixel with a little Gaussian noise, to reach n points. Labels are the digits.
- ``blobs(n, d)``: a seeded Gaussian mixture of 20 clusters, float32.
"""
from __future__ import annotations

import numpy as np


def digits_784(n: int = 10_000, seed: int = 0):
    from scipy.ndimage import shift, zoom
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(seed)
    base = np.stack([zoom(img, 3.5, order=1) for img in digits.images])  # 8×8 → 28×28
    pick = rng.integers(0, len(base), size=n)
    out = np.empty((n, 28 * 28), dtype=np.float32)
    for row, i in enumerate(pick):
        dy, dx = rng.integers(-1, 2, size=2)
        img = shift(base[i], (dy, dx), order=0, mode="constant")
        out[row] = (img + rng.normal(0, 0.3, img.shape)).ravel()
    return out, digits.target[pick]


def blobs(n: int, d: int, seed: int = 0, centers: int = 20):
    rng = np.random.default_rng(seed)
    means = rng.normal(0, 1, size=(centers, d)).astype(np.float32)
    labels = rng.integers(0, centers, size=n)
    X = np.empty((n, d), dtype=np.float32)
    for s in range(0, n, 100_000):
        e = min(n, s + 100_000)
        X[s:e] = means[labels[s:e]] + rng.normal(0, 0.6, size=(e - s, d)).astype(np.float32)
    return X, labels
