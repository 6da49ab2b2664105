"""The embedding projector's engine: load embeddings, project every point, find neighbours, search.

Pure Python (numpy, pandas, scikit-learn, openTSNE, umap-learn); usable from a notebook::

    import projector
    ds = projector.load_dataset("embeddings.npy", "metadata.tsv")
    pca = projector.project(ds, "pca", dims=3)
    projector.nearest_neighbors(ds, 0, k=10)
"""
from .cache import ResultCache
from .dataset import Dataset, Sprite, load_dataset, load_projector_config, read_sprite, spherize_vectors
from .errors import Cancelled, DataError
from .neighbors import nearest_neighbors
from .projections import Projection, default_perplexity, project
from .search import search
from .store import DatasetStore

__all__ = [
    "Cancelled", "DataError", "Dataset", "DatasetStore", "Projection", "ResultCache", "Sprite",
    "default_perplexity", "load_dataset", "load_projector_config", "nearest_neighbors", "project",
    "read_sprite", "search", "spherize_vectors",
]
