"""Where the points of a 2D map crowd: a Gaussian kernel density on a grid, for contour lines."""
from __future__ import annotations

import numpy as np

from .errors import DataError

GRID_SIZE = 96
MARGIN_BANDWIDTHS = 3.0     # the grid reaches this many bandwidths beyond the outermost points
LEVELS = 8                  # contour levels, spread over the density's range


def density_grid(coords2d, size: int = GRID_SIZE, bandwidth=None) -> dict:
    """Gaussian KDE of 2D points on a ``size``×``size`` grid: dict(x, y, z, levels, bandwidth).

    ``x``/``y`` are the grid's nodes; ``z[j, i]`` is the density at (x[i], y[j]) (rows are y, as
    plotly's contour expects) and integrates to ≈1 over the plane. The kernel is scipy's
    ``gaussian_kde``'s: a Gaussian with the points' covariance times factor² — Scott's factor
    N^(−1/6) by default, or ``bandwidth`` as the factor. The points are binned to the grid (linear
    binning) and the bins convolved with the kernel (separable Gaussian filter when the covariance
    is diagonal, FFT otherwise): O(N + size² log size). ``levels`` are contour heights.
    """
    from scipy.ndimage import gaussian_filter
    from scipy.signal import fftconvolve

    P = np.asarray(coords2d, dtype=np.float64)
    if P.ndim != 2 or P.shape[1] < 2:
        raise DataError("a density needs 2D coordinates: one row per point, two columns.")
    P = P[:, :2]
    P = P[np.isfinite(P).all(axis=1)]
    n = len(P)
    size = int(size)
    if n < 2:
        raise DataError("a density needs at least 2 points with finite coordinates.")
    if not 8 <= size <= 1024:
        raise DataError("the density grid must have between 8 and 1024 cells a side.")
    factor = n ** (-1.0 / 6.0) if bandwidth is None else float(bandwidth)
    if not (np.isfinite(factor) and factor > 0):
        raise DataError("the density bandwidth must be a positive number.")
    cov = np.cov(P.T) * factor ** 2
    sd = np.sqrt(np.diag(cov))
    if not (sd > 0).all() or abs(np.linalg.det(cov)) <= 1e-12 * np.prod(sd) ** 2:
        # points on a line (or one spot): scipy would refuse; a round kernel of the larger spread instead
        s0 = float(sd.max()) if sd.max() > 0 else 1.0
        cov = np.eye(2) * s0 * s0
        sd = np.sqrt(np.diag(cov))
    lo = P.min(axis=0) - MARGIN_BANDWIDTHS * sd
    hi = P.max(axis=0) + MARGIN_BANDWIDTHS * sd
    step = (hi - lo) / (size - 1)
    x = lo[0] + step[0] * np.arange(size)
    y = lo[1] + step[1] * np.arange(size)
    # linear binning: each point shares its unit weight among the four grid nodes around it
    u = (P - lo) / step
    i0 = np.clip(np.floor(u).astype(np.int64), 0, size - 2)
    f = u - i0
    grid = np.zeros((size, size))
    for dy in (0, 1):
        for dx in (0, 1):
            w = (f[:, 0] if dx else 1 - f[:, 0]) * (f[:, 1] if dy else 1 - f[:, 1])
            np.add.at(grid, (i0[:, 1] + dy, i0[:, 0] + dx), w)
    if cov[0, 1] == 0:
        z = gaussian_filter(grid, sigma=(sd[1] / step[1], sd[0] / step[0]), mode="constant", truncate=4.0)
        z /= n * step[0] * step[1]
    else:
        ox = step[0] * np.arange(-(size - 1), size)
        oy = step[1] * np.arange(-(size - 1), size)
        OX, OY = np.meshgrid(ox, oy)
        inv = np.linalg.inv(cov)
        q = inv[0, 0] * OX * OX + 2 * inv[0, 1] * OX * OY + inv[1, 1] * OY * OY
        kernel = np.exp(-0.5 * q) / (2 * np.pi * np.sqrt(np.linalg.det(cov)))
        z = fftconvolve(grid, kernel, mode="valid") / n
        z = np.maximum(z, 0.0)   # FFT rounding leaves tiny negatives far from the points
    top = float(z.max())
    levels = np.linspace(top / (LEVELS + 1), top * LEVELS / (LEVELS + 1), LEVELS) if top > 0 else np.zeros(0)
    return {"x": x, "y": y, "z": z, "levels": levels, "bandwidth": factor}
