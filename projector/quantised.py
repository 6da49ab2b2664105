"""Exact nearest neighbours from an int8 copy of the vectors: scan a quarter of the bytes, re-rank the few.

Each row v is stored as ``Q = round(v / s)`` with ``s = max|v| / 127`` (int8), beside ``s``, ‖Q‖₂, the
residual norm ‖v − sQ‖₂ and ‖v‖₂ (float64). A query q is quantised the same way, ``q = tP + r``. Then

    v·q = s·t·(Q·P) + s·(Q·r) + (v − sQ)·q,   so   |v·q − s·t·(Q·P)| ≤ s‖Q‖‖r‖ + ‖v − sQ‖‖q‖

(Cauchy–Schwarz, twice). ``Q·P`` is an integer computed exactly in int32 (|Q·P| ≤ 127²·D < 2³¹ for
D < 133 000), so the only rounding is float64's in a handful of products, covered by a relative slack far
above it. From the dot interval each row gets a distance interval [lo, hi]; τ is the k-th smallest hi. A row
with lo > τ is farther than k rows for certain, so it cannot be a neighbour, whatever the tie-breaking; every
other row is re-scored exactly in float64 — the answer is the float64 brute-force answer.
"""
from __future__ import annotations

import os

import numpy as np
from numba import njit, prange

os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")

MAX_DIM = 100_000            # 127² · D must stay below 2³¹ for the int32 dot
BLOCK_ROWS = 256


class QuantisedRows:
    """An int8 copy of some rows with what the error bound needs (float64 per row)."""

    def __init__(self, codes, scales, code_norms, residual_norms, norms):
        self.codes, self.scales, self.code_norms = codes, scales, code_norms
        self.residual_norms, self.norms = residual_norms, norms


def quantise_rows(rows_f64_blocks, n: int, d: int) -> QuantisedRows:
    """Quantise rows given as float64 blocks (an iterable of (start, block)) into one :class:`QuantisedRows`."""
    codes = np.empty((n, d), dtype=np.int8)
    scales = np.zeros(n)
    code_norms = np.zeros(n)
    residual_norms = np.zeros(n)
    norms = np.zeros(n)
    for s, V in rows_f64_blocks:
        e = s + len(V)
        top = np.abs(V).max(axis=1)
        sc = top / 127.0
        safe = np.where(sc > 0, sc, 1.0)
        C = np.clip(np.rint(V / safe[:, None]), -127, 127)
        codes[s:e] = C
        scales[s:e] = sc
        code_norms[s:e] = np.sqrt(np.einsum("ij,ij->i", C, C))
        R = V - sc[:, None] * C
        residual_norms[s:e] = np.sqrt(np.einsum("ij,ij->i", R, R))
        norms[s:e] = np.sqrt(np.einsum("ij,ij->i", V, V))
    return QuantisedRows(codes, scales, code_norms, residual_norms, norms)


@njit(parallel=True, fastmath=False, cache=True)
def _int_dots(codes, rows, p, out):
    """out[k] = codes[rows[k]] · p, exactly, in int32 (row blocks in parallel)."""
    n = rows.shape[0]
    d = codes.shape[1]
    for b in prange((n + BLOCK_ROWS - 1) // BLOCK_ROWS):
        for k in range(b * BLOCK_ROWS, min(n, (b + 1) * BLOCK_ROWS)):
            i = rows[k]
            acc = np.int32(0)
            for j in range(d):
                acc += np.int32(codes[i, j]) * np.int32(p[j])
            out[k] = acc


def candidates(qr: QuantisedRows, rows: np.ndarray, q64: np.ndarray, k: int, metric: str,
               excluded: np.ndarray) -> np.ndarray:
    """Positions into ``rows`` that may hold one of the k nearest rows to ``q64`` (a superset, proven).

    ``excluded`` are positions never to return (the query point itself). Needs ``k`` ≤ the rows left.
    """
    d = q64.shape[0]
    top = float(np.abs(q64).max(initial=0.0))
    t = top / 127.0 if top > 0 else 1.0
    P = np.clip(np.rint(q64 / t), -127, 127)
    r_norm = float(np.linalg.norm(q64 - t * P))
    q_norm = float(np.linalg.norm(q64))
    dots = np.empty(len(rows), dtype=np.int32)
    _int_dots(qr.codes, rows, P.astype(np.int8), dots)
    s = qr.scales[rows]
    approx = s * t * dots.astype(np.float64)
    slack = 1e-12 * (d + 16)   # float64 rounding here and in the exact re-score, far above either
    bound = (s * qr.code_norms[rows] * r_norm + qr.residual_norms[rows] * q_norm) * (1 + slack) \
        + slack * np.abs(approx)
    norms = qr.norms[rows]
    if metric == "cosine":
        denom = norms * q_norm
        with np.errstate(divide="ignore", invalid="ignore"):
            hi_sim = np.where(denom > 0, (approx + bound) / denom, 0.0)
            lo_sim = np.where(denom > 0, (approx - bound) / denom, 0.0)
        lo = 1.0 - hi_sim - slack
        hi = 1.0 - lo_sim + slack
    else:
        base = norms * norms + q_norm * q_norm
        pad = slack * (norms + q_norm) ** 2
        lo = np.sqrt(np.maximum(base - 2.0 * (approx + bound) - pad, 0.0))
        hi = np.sqrt(np.maximum(base - 2.0 * (approx - bound) + pad, 0.0))
    hi[excluded] = np.inf
    lo[excluded] = np.inf
    tau = float(np.partition(hi, k - 1)[k - 1])
    return np.flatnonzero(lo <= tau)


def warm() -> None:
    """Compile the scan kernel into numba's disk cache."""
    codes = np.zeros((4, 8), dtype=np.int8)
    _int_dots(codes, np.arange(4, dtype=np.int64), np.zeros(8, dtype=np.int8), np.empty(4, dtype=np.int32))
