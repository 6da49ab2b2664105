"""Exact nearest neighbours from an int8 copy of the vectors: scan a quarter of the bytes, re-rank the few.

Each row v is stored as ``Q = round(v / s)`` with ``s = max|v| / 127`` (int8), beside ``s``, ‖Q‖₂, the
residual norm ‖v − sQ‖₂ and ‖v‖₂ (float64). A query q is quantised the same way, ``q = tP + r``. Then

    v·q = s·t·(Q·P) + s·(Q·r) + (v − sQ)·q,   so   |v·q − s·t·(Q·P)| ≤ s‖Q‖‖r‖ + ‖v − sQ‖‖q‖

(Cauchy–Schwarz, twice). ``Q·P`` is an integer computed exactly in int32 (each product fits int16, |Q·P| ≤ 127²·D < 2³¹ for
D < 133 000), so the only rounding is float64's in a handful of products, covered by a relative slack far
above it. From the dot interval each row gets a distance interval [lo, hi]; τ is the k-th smallest hi. A row
with lo > τ is farther than k rows for certain, so it cannot be a neighbour, whatever the tie-breaking. The rows
left are scored again from their codes against the unquantised query in float64 (error ‖v − sQ‖‖q‖ plus
s·γ_D‖Q‖‖q‖ for the summation, γ_D = D·u / (1 − D·u), u = 2⁻⁵³, any summation order) and cut the same way;
every row still left is re-scored exactly in float64 — the answer is the float64 brute-force answer.
"""
from __future__ import annotations

import os

import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from .threads import serialised

os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")

MAX_DIM = 65_536             # 255 · 127 · D must stay below 2³¹ for the int32 dot
BLOCK_ROWS = 512
LANE = 64                    # codes are stored in rows padded to whole 64-byte vectors (zero padding)
VNNI = bool(llvm.get_host_cpu_features().get("avx512vnni", False))   # u8 × s8 dot in one instruction


class QuantisedRows:
    """An int8 copy of some rows (stored as ``Q + 128`` in uint8, rows zero-padded to 64 bytes) with what the
    error bound needs (float64 per row)."""

    def __init__(self, codes, scales, code_norms, residual_norms, norms):
        self.codes, self.scales, self.code_norms = codes, scales, code_norms
        self.residual_norms, self.norms = residual_norms, norms


def quantise_rows(rows_f64_blocks, n: int, d: int) -> QuantisedRows:
    """Quantise rows given as float64 blocks (an iterable of (start, block)) into one :class:`QuantisedRows`."""
    codes = np.zeros((n, -(-d // LANE) * LANE), dtype=np.uint8)   # Q + 128: unsigned, as VNNI takes it
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
        codes[s:e, :d] = C + 128
        scales[s:e] = sc
        code_norms[s:e] = np.sqrt(np.einsum("ij,ij->i", C, C))
        R = V - sc[:, None] * C
        residual_norms[s:e] = np.sqrt(np.einsum("ij,ij->i", R, R))
        norms[s:e] = np.sqrt(np.einsum("ij,ij->i", V, V))
    return QuantisedRows(codes, scales, code_norms, residual_norms, norms)


@serialised
@njit(parallel=True, fastmath=False, cache=True)
def _int_dots(codes, rows, p16, out):
    """out[k] = (codes[rows[k]] − 128) · p16 (``p16`` zero-padded like the codes), exactly: each int8 × int8
    product fits int16, their sum int32."""
    n = rows.shape[0]
    d = codes.shape[1]
    for b in prange((n + BLOCK_ROWS - 1) // BLOCK_ROWS):
        for k in range(b * BLOCK_ROWS, min(n, (b + 1) * BLOCK_ROWS)):
            i = rows[k]
            acc = np.int32(0)
            for j in range(d):
                acc += np.int32((np.int16(codes[i, j]) - np.int16(128)) * p16[j])
            out[k] = acc


@intrinsic
def _row_dot_u8s8(typingctx, U, i, p, nvec):
    """U[i] · p over ``nvec`` 64-byte vectors with AVX-512 VNNI (vpdpbusd: u8 × s8 summed in int32 lanes)."""
    sig = types.int32(U, i, p, nvec)

    def codegen(context, builder, signature, args):
        u_type, _, p_type, _ = signature.args
        u_arr = context.make_array(u_type)(context, builder, args[0])
        p_arr = context.make_array(p_type)(context, builder, args[2])
        zero = context.get_constant(types.intp, 0)
        u_row = cgutils.get_item_pointer(context, builder, u_type, u_arr, [args[1], zero], wraparound=False)
        i32x16 = ir.VectorType(ir.IntType(32), 16)
        dpbusd = cgutils.get_or_insert_function(builder.module, ir.FunctionType(i32x16, [i32x16] * 3),
                                                "llvm.x86.avx512.vpdpbusd.512")
        reduce = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(32), [i32x16]),
                                                "llvm.vector.reduce.add.v16i32")
        acc = cgutils.alloca_once_value(builder, ir.Constant(i32x16, [0] * 16))
        with cgutils.for_range(builder, args[3]) as loop:
            off = builder.mul(loop.index, ir.Constant(loop.index.type, LANE))
            a = builder.load(builder.bitcast(builder.gep(u_row, [off]), i32x16.as_pointer()), align=1)
            b = builder.load(builder.bitcast(builder.gep(p_arr.data, [off]), i32x16.as_pointer()), align=1)
            builder.store(builder.call(dpbusd, [builder.load(acc), a, b]), acc)
        return builder.call(reduce, [builder.load(acc)])

    return sig, codegen


@serialised
@njit(parallel=True, fastmath=False, cache=True)
def _int_dots_vnni(codes, rows, p8, correction, out):
    """out[k] = (codes[rows[k]] − 128) · p8 exactly: U·P in int32 (≤ 255·127·D < 2³¹) minus 128·ΣP."""
    nvec = codes.shape[1] // LANE
    n = rows.shape[0]
    for b in prange((n + BLOCK_ROWS - 1) // BLOCK_ROWS):
        for k in range(b * BLOCK_ROWS, min(n, (b + 1) * BLOCK_ROWS)):
            out[k] = _row_dot_u8s8(codes, rows[k], p8, nvec) - correction


@njit(fastmath={"reassoc"}, cache=True)
def _code_dots(codes, rows, q, out):
    """out[k] = codes[rows[k]] · q in float64, in any order of summation (its error bound holds for any)."""
    d = q.shape[0]
    for k in range(rows.shape[0]):
        i = rows[k]
        acc = 0.0
        for j in range(d):
            acc += (codes[i, j] - 128.0) * q[j]
        out[k] = acc


@njit(fastmath=False, cache=True)
def _bounds(dots, rows, scales, code_norms, residual_norms, norms, t, r_norm, q_norm, cosine, slack, lo, hi):
    """Each row's distance interval [lo, hi] around its int8 estimate (euclidean: of the squared distance, the
    same order): float64 arithmetic, inside ``slack``. One thread: a few flops a row, where waking a second
    thread on a busy machine costs more."""
    n = rows.shape[0]
    if cosine:
        for k in range(n):
            i = rows[k]
            s = scales[i]
            approx = s * t * dots[k]
            bound = (s * code_norms[i] * r_norm + residual_norms[i] * q_norm) * (1 + slack) + slack * abs(approx)
            denom = norms[i] * q_norm
            if denom > 0:
                lo[k] = 1.0 - (approx + bound) / denom - slack
                hi[k] = 1.0 - (approx - bound) / denom + slack
            else:
                lo[k] = 1.0 - slack
                hi[k] = 1.0 + slack
    else:
        qq = q_norm * q_norm
        for k in range(n):
            i = rows[k]
            s = scales[i]
            approx = s * t * dots[k]
            bound = (s * code_norms[i] * r_norm + residual_norms[i] * q_norm) * (1 + slack) + slack * abs(approx)
            nrm = norms[i]
            base = nrm * nrm + qq
            pad = slack * (nrm + q_norm) * (nrm + q_norm)
            lo[k] = max(base - 2.0 * (approx + bound) - pad, 0.0)
            hi[k] = base - 2.0 * (approx - bound) + pad


@njit(cache=True)
def _kth_smallest(values, k):
    """The k-th smallest of ``values`` (k ≥ 1), by a max-heap of the k smallest: one compare for most values."""
    heap = np.full(k, np.inf)
    for v in values:
        if v < heap[0]:
            heap[0] = v   # replace the largest of the k smallest, sift it down
            i = 0
            while True:
                c = 2 * i + 1
                if c >= k:
                    break
                if c + 1 < k and heap[c + 1] > heap[c]:
                    c += 1
                if heap[c] <= heap[i]:
                    break
                heap[i], heap[c] = heap[c], heap[i]
                i = c
    return heap[0]


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
    slack = 1e-12 * (d + 16)   # float64 rounding here and in the exact re-score, far above either
    rows = np.asarray(rows, dtype=np.int64)
    dots = np.empty(len(rows), dtype=np.int32)
    padded = np.zeros(qr.codes.shape[1], dtype=np.int16)
    padded[:d] = P
    if VNNI:
        _int_dots_vnni(qr.codes, rows, padded.astype(np.int8), np.int32(128 * int(padded.sum())), dots)
    else:
        _int_dots(qr.codes, rows, padded, dots)
    pick = _within(qr, rows, dots, t, r_norm, q_norm, metric, slack, k, excluded)
    # Second pass over the few left: the same codes against the unquantised query (float64), whose only
    # error beyond the rows' own is float64 summation, γ_D = D·u/(1 − D·u) of Σ|Q_ij q_j| ≤ ‖Q‖‖q‖.
    fdots = np.empty(len(pick))
    _code_dots(qr.codes, rows[pick], q64, fdots)
    gamma = d * 2.0 ** -53 / (1 - d * 2.0 ** -53)
    return pick[_within(qr, rows[pick], fdots, 1.0, gamma * q_norm, q_norm, metric, slack, k,
                        np.empty(0, dtype=np.int64))]


def _within(qr, rows, dots, t, r_norm, q_norm, metric, slack, k, excluded):
    """Positions whose distance interval starts at or below the k-th smallest interval end."""
    lo = np.empty(len(rows))
    hi = np.empty(len(rows))
    _bounds(dots, rows, qr.scales, qr.code_norms, qr.residual_norms, qr.norms, t, r_norm, q_norm,
            metric == "cosine", slack, lo, hi)
    hi[excluded] = np.inf
    lo[excluded] = np.inf
    return np.flatnonzero(lo <= _kth_smallest(hi, k))


@njit(fastmath=False, cache=True)
def exact_distances(V, q64, centroid, spherize, cosine, out):
    """Float64 distances of rows ``V`` to ``q64``, as :func:`projector.neighbors._exact_distances` defines them
    (spherized first when asked), row by row in one fixed order: equal rows get equal distances."""
    d = V.shape[1]
    v = np.empty(d)
    qq = 0.0
    for j in range(d):
        qq += q64[j] * q64[j]
    q_norm = np.sqrt(qq)
    for k in range(V.shape[0]):
        for j in range(d):
            v[j] = V[k, j]
        if spherize:
            r = 0.0
            for j in range(d):
                v[j] -= centroid[j]
                r += v[j] * v[j]
            r = np.sqrt(r)
            if r > 0:
                for j in range(d):
                    v[j] /= r
        if cosine:
            vv = 0.0
            dot = 0.0
            for j in range(d):
                vv += v[j] * v[j]
                dot += v[j] * q64[j]
            denom = np.sqrt(vv) * q_norm
            sim = dot / denom if denom > 0 else 0.0
            out[k] = min(max(1.0 - sim, 0.0), 2.0)
        else:
            acc = 0.0
            for j in range(d):
                acc += (v[j] - q64[j]) * (v[j] - q64[j])
            out[k] = np.sqrt(acc)


def warm() -> None:
    """Compile the scan kernels into numba's disk cache."""
    codes = np.full((4, LANE), 128, dtype=np.uint8)
    qr = QuantisedRows(codes, np.ones(4), np.ones(4), np.zeros(4), np.ones(4))
    for metric in ("cosine", "euclidean"):
        candidates(qr, np.arange(4), np.ones(8), 2, metric, np.array([0]))
        for spherize in (False, True):
            for dtype in (np.float32, np.float64):
                exact_distances(np.ones((2, 8), dtype=dtype), np.ones(8), np.zeros(8), spherize,
                                metric == "cosine", np.empty(2))
    _int_dots(codes, np.arange(4), np.zeros(LANE, dtype=np.int16), np.empty(4, dtype=np.int32))
