"""The density grid against scipy.stats.gaussian_kde."""
import numpy as np
import pytest
from scipy.stats import gaussian_kde

from projector.density import density_grid
from projector.errors import DataError

# Linear binning on a 96-cell grid: the largest difference from the exact KDE, as a share of its peak.
TOLERANCE = 0.01


def kde_on(grid, points, bw=None):
    X, Y = np.meshgrid(grid["x"], grid["y"])
    return gaussian_kde(points.T, bw_method=bw)(np.vstack([X.ravel(), Y.ravel()])).reshape(X.shape)


@pytest.mark.parametrize("n", [40, 500, 5000])
def test_matches_gaussian_kde_on_correlated_points(n):
    rng = np.random.default_rng(n)
    P = np.vstack([rng.multivariate_normal([0, 0], [[1, 0.8], [0.8, 1]], n // 2),
                   rng.normal([4, 1], [0.5, 2], (n - n // 2, 2))])
    g = density_grid(P)
    ref = kde_on(g, P)
    assert g["z"].shape == (96, 96)
    assert np.abs(g["z"] - ref).max() <= TOLERANCE * ref.max()
    cell = (g["x"][1] - g["x"][0]) * (g["y"][1] - g["y"][0])
    assert g["z"].sum() * cell == pytest.approx(1.0, abs=2e-3)


def test_uncorrelated_points_and_a_given_bandwidth():
    a = np.array([-1.0, 1.0, -2.0, 2.0])
    P = np.array([(x, y) for x in a for y in a * 0.5])          # covariance exactly diagonal
    g = density_grid(P, size=128, bandwidth=0.6)
    ref = kde_on(g, P, bw=0.6)
    assert np.abs(g["z"] - ref).max() <= TOLERANCE * ref.max()
    assert g["bandwidth"] == 0.6 and len(g["levels"]) > 0 and np.all(np.diff(g["levels"]) > 0)


def test_points_on_a_line_or_one_spot_still_give_a_finite_grid():
    for P in (np.c_[np.arange(10.0), 2 * np.arange(10.0)], np.ones((5, 2))):
        g = density_grid(P)
        assert np.isfinite(g["z"]).all() and g["z"].max() > 0


def test_too_few_points_is_a_sentence():
    with pytest.raises(DataError, match="at least 2 points"):
        density_grid(np.array([[0.0, 1.0], [np.nan, 2.0]]))
