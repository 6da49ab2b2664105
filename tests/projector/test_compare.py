"""Two embeddings of the same rows: per-point overlap of their exact neighbourhoods."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from projector import DataError
from projector.compare import compare_neighbourhoods, neighbour_overlap


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 12), st.integers(0, 2**31 - 1))
def test_overlap_is_the_jaccard_of_the_two_neighbour_sets(n, k, seed):
    rng = np.random.default_rng(seed)
    universe = max(k, 3 * k)
    a = np.stack([rng.choice(universe, k, replace=False) for _ in range(n)])
    b = np.stack([rng.choice(universe, k, replace=False) for _ in range(n)])
    want = [len(set(x) & set(y)) / len(set(x) | set(y)) for x, y in zip(a.tolist(), b.tolist())]
    np.testing.assert_allclose(neighbour_overlap(a, b), want)


def test_a_rotated_copy_keeps_every_neighbourhood_and_noise_loses_them():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 16)).astype(np.float32)
    Q, _ = np.linalg.qr(rng.normal(size=(16, 16)))
    same = compare_neighbourhoods(X, (X @ Q).astype(np.float32), k=10, metric="euclidean")
    assert same["mean"] >= 0.99   # a rotation keeps distances (float32 rounding may swap a tie at the k-th)
    other = compare_neighbourhoods(X, rng.normal(size=(300, 8)).astype(np.float32), k=10, metric="euclidean")
    assert other["mean"] < 0.1
    with pytest.raises(DataError, match="same points"):
        compare_neighbourhoods(X, X[:10])
