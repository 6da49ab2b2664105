"""The embedding projector's engine: load embeddings, project every point, find neighbours, search.

Pure Python (numpy, pandas, scikit-learn, openTSNE, umap-learn); usable from a notebook::

    import projector
    ds = projector.load_dataset("embeddings.npy", "metadata.tsv")
    pca = projector.project(ds, "pca", dims=3)
    projector.nearest_neighbors(ds, 0, k=10)
"""
from .analyses import run_analysis
from .cache import ResultCache
from .checkpoint import CheckpointReader, all_checkpoints, latest_checkpoint
from .clusters import cluster_centres, cluster_names, hdbscan_labels, kmeans_labels
from .dataset import Dataset, Sprite, load_dataset, load_projector_config, read_sprite, spherize_vectors
from .density import density_grid
from .errors import Cancelled, DataError
from .faithfulness import far_on_map, neighbourhood_preservation, procrustes_displacement, trustworthiness_continuity
from .knn import all_neighbors, map_neighbors
from .logdir import load_logdir
from .neighbors import nearest_neighbors
from .notebook import show
from .outliers import most_unusual, outlier_scores
from .projections import Projection, default_perplexity, project
from .search import search
from .store import DatasetStore
from .table import bar_counts, filter_rows, histogram, in_range, sort_rows
from .tbexport import LogdirExport, logdir_zip, write_logdir

__all__ = [
    "Cancelled", "CheckpointReader", "DataError", "Dataset", "DatasetStore", "Projection", "ResultCache", "Sprite",
    "all_checkpoints", "default_perplexity", "latest_checkpoint", "load_dataset", "load_logdir",
    "load_projector_config", "nearest_neighbors", "project",
    "read_sprite", "search", "show", "spherize_vectors",
    # analysis: clusters, outliers, how far to trust a map, density
    "run_analysis", "all_neighbors", "cluster_centres", "cluster_names", "density_grid", "far_on_map", "hdbscan_labels",
    "kmeans_labels", "map_neighbors", "most_unusual", "neighbourhood_preservation", "outlier_scores",
    "procrustes_displacement", "trustworthiness_continuity",
    # the points table and its charts: AG Grid's filter and sort models, histogram and top-value counts
    "bar_counts", "filter_rows", "histogram", "in_range", "sort_rows",
    # export back: a TensorBoard log folder
    "LogdirExport", "logdir_zip", "write_logdir",
]
