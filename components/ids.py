"""Every component id of the app, in one place (layout and callbacks import them from here)."""

# the view state: only ids and small records live in the browser
VIEW = "view"                      # the one record: data set, subset, request, selection, colour, label, camera
SAVED_VIEW = "saved-view"          # VIEW kept in the tab's session storage: a reload comes back to it
LAST_VIEW = "last-view"            # VIEW kept in the browser's local storage: a new tab opens on it
GOTO = "goto"                      # a request to show a data set, or a whole state (bookmark, link, reload, tag)
SETUP = "panel-setup"              # {"dataset", "state", "message", "nonce"}: every panel sets itself up from it
SHOWN = "shown-projection"         # the complete projection the plot shows for VIEW (or None)
DRAWN = "drawn"                    # what the figure holds now; written by the plot module only
WATCH = "watched-job"              # the job this page follows (started here, or found running)
JOB = "projection-job"             # a request for the background projection job
JOB_RESULT = "projection-job-result"
JOB_TICK = "job-tick"              # polls the watched job's record while it runs
FRAME = "tsne-frame"               # the latest intermediate t-SNE frame of the watched job
SUBSET = "isolated-subset"         # {"dataset", "id", "n"} of the isolated points, or None
SELECTION = "selection"            # {"dataset", "anchor", "neighbors", "points": {"id", "n"}, "filter", "search"}
URL = "url"
GIVEN = "given-coordinates"        # {"state", "dims", "axes"}: a bookmark's stored coordinates to draw
CAMERA_TARGET = "camera-target"    # the camera a restored state asks for, with a nonce
CAMERA_CAPTURE = "camera-capture"  # the plot's camera read in the browser when a bookmark or link is made

# data panel
DATASET = "dataset-picker"
DATASET_INFO = "dataset-info"
# a log folder's run × tensor × step picker (shown when data sets came from --logdir), and the tick that
# brings data sets other clients or the log-folder watcher added into every client's list
RUN_PICKER = "logdir-picker"
PICK_RUN = "logdir-run"
PICK_TENSOR = "logdir-tensor"
PICK_STEP = "logdir-step"
STORE_TICK = "store-tick"
UPLOAD_BOX = "upload-box"
UPLOAD_VECTORS = "upload-vectors-file"      # plain file inputs; assets/uploads.js streams them in chunks
UPLOAD_METADATA = "upload-metadata-file"
UPLOAD_VECTORS_PROGRESS = "upload-vectors-progress"
UPLOAD_METADATA_PROGRESS = "upload-metadata-progress"
UPLOAD_CANCEL = "upload-cancel"
UPLOAD_VECTORS_NAME = "upload-vectors-name"
UPLOAD_METADATA_NAME = "upload-metadata-name"
UPLOAD_SPRITE = "upload-sprite-file"
UPLOAD_SPRITE_PROGRESS = "upload-sprite-progress"
UPLOAD_SPRITE_NAME = "upload-sprite-name"
STAGED_SPRITE = "staged-sprite"
SPRITE_WIDTH = "sprite-width"
SPRITE_HEIGHT = "sprite-height"
STAGED_VECTORS = "staged-vectors"
STAGED_METADATA = "staged-metadata"
BYTES_DIM = "bytes-dim"
UPLOAD_COLUMN = "upload-vector-column"   # a Parquet/Arrow file's vector column or a safetensors tensor
UPLOAD_NAME = "upload-name"
LOAD = "load-upload"
DATA_MESSAGE = "data-message"
COLOR_BY = "color-by"
COLOR_MESSAGE = "color-message"
LABEL_BY = "label-by"
LEGEND = "legend"
SPHERIZE = "spherize"
IMAGES = "show-images"
IMAGES_MESSAGE = "images-message"

# projection panel
TABS = "projection-tabs"
PCA_X = "pca-x"
PCA_Y = "pca-y"
PCA_Z = "pca-z"
PCA_3D = "pca-3d"
PCA_VARIANCE = "pca-variance"
TSNE_3D = "tsne-3d"
TSNE_PERPLEXITY = "tsne-perplexity"
TSNE_LEARNING_RATE = "tsne-learning-rate"
TSNE_ITERATIONS = "tsne-iterations"
UMAP_3D = "umap-3d"
UMAP_NEIGHBORS = "umap-neighbors"
UMAP_MIN_DIST = "umap-min-dist"
CUSTOM_LEFT = "custom-left"
CUSTOM_RIGHT = "custom-right"
CUSTOM_UP = "custom-up"
CUSTOM_DOWN = "custom-down"
CUSTOM_REGEX = "custom-regex"
CUSTOM_COLUMN = "custom-column"
CUSTOM_INFO = "custom-info"
RAW_3D = "raw-3d"
RAW_TAB = "raw-tab"
GIVEN_TAB = "given-tab"
GIVEN_INFO = "given-info"
RUN = "run-projection"
CANCEL = "cancel-projection"
PROGRESS = "projection-progress"
PROGRESS_TEXT = "projection-progress-text"
PROJECTION_MESSAGE = "projection-message"
PROJECTION_INFO = "projection-info"

# plot and status
GRAPH = "scatter"
HOVER_LABEL = "hover-label"        # the hovered point's label when the figure carries none (large data)
STATUS = "status"

# inspector
NEIGHBOR_COUNT = "neighbor-count"
METRIC = "metric"
SEARCH = "search-query"
SEARCH_REGEX = "search-regex"
SEARCH_COLUMN = "search-column"
SEARCH_SCOPE = "search-scope"
SEARCH_MESSAGE = "search-message"
ISOLATE = "isolate"
SHOW_ALL = "show-all"
CLEAR = "clear-selection"
POINT_CARD = "point-card"
NEIGHBOR_LIST = "neighbor-list"
RESULT_LIST = "result-list"
INSPECTOR_MESSAGE = "inspector-message"
INSPECTOR_LISTED = "inspector-listed"    # what the card and lists show now

# downloads
DOWNLOAD = "download"
DOWNLOAD_PROVENANCE = "download-provenance"
EXPORT_CSV = "export-csv"
EXPORT_TSV = "export-tsv"
EXPORT_LIST = "export-list"
EXPORT_HTML = "export-html"
EXPORT_SVG = "export-svg"
EXPORT_TENSORBOARD = "export-tensorboard"
TENSORBOARD_LINK = "tensorboard-link"    # {"url", "name"} of a log folder ready to download
EXPORT_MESSAGE = "export-message"

# tagging ("Edit by")
TAG_COLUMN = "tag-column"
TAG_COLUMNS = "tag-columns"        # the datalist of existing column names
TAG_VALUE = "tag-value"
TAG_APPLY = "tag-apply"
TAG_DOWNLOAD = "tag-download"
TAG_MESSAGE = "tag-message"
TAG_FILE = "tag-file"

# bookmarks and links
TRAY = "bookmark-tray"             # [{"uid", "state", "name", "summary"}], kept in the browser's storage
BOOKMARK_ADD = "bookmark-add"
BOOKMARK_SAVE = "bookmark-save"
BOOKMARK_FILE = "bookmark-file"
BOOKMARK_LIST = "bookmark-list"
BOOKMARK_MESSAGE = "bookmark-message"
BOOKMARK_DOWNLOAD = "bookmark-download"
SHARE = "share-link"
SHARE_URL = "share-url"
SHARE_ID = "share-id"

# table and charts (the drawer under the map)
TABLE_DRAWER = "table-drawer"
TABLE_TOGGLE = "table-toggle"      # opens and closes the drawer (odd clicks: open)
TABLE_GRID = "points-table"        # AG Grid, infinite row model: rows come from the server block by block
TABLE_MESSAGE = "table-message"
TABLE_KEY = "table-key"            # {"dataset", "version", "subset", "within"}: the rows the table holds; a change reloads it
TABLE_RELOADED = "table-reloaded"  # the key the grid last reloaded for (written in the browser only)
CHART_COLUMN = "chart-column"
CHART = "points-chart"             # histogram (numbers) or bars of the top values (text): all points and the selected ones
CHART_MESSAGE = "chart-message"
CHARTED = "charted"                # what the chart shows now: it is drawn again only when that changes


LIST_ROW_TYPE = "point-row"
BOOKMARK_TYPES = ("bookmark-restore", "bookmark-name", "bookmark-up", "bookmark-down", "bookmark-delete")


def list_row(index) -> dict:
    """Pattern-matching id of a clickable row (neighbour or search result) naming point ``index``."""
    return {"type": LIST_ROW_TYPE, "index": index}


def bookmark(kind: str, uid) -> dict:
    """Pattern-matching id of one control of a bookmark row: ``kind`` is one of BOOKMARK_TYPES."""
    assert kind in BOOKMARK_TYPES
    return {"type": kind, "index": uid}

# analysis panel (clusters, outliers, how far to trust the map) and the map's overlays
DENSITY = "show-density"                   # the Data panel's density-contours toggle
ANALYSIS_TABS = "analysis-tabs"
CLUSTER_ALGORITHM = "cluster-algorithm"
CLUSTER_SPACE = "cluster-space"
CLUSTER_MIN_SIZE = "cluster-min-size"
CLUSTER_K = "cluster-k"
CLUSTER_NAME_BY = "cluster-name-by"
CLUSTER_LIST = "cluster-list"
OUTLIER_METHOD = "outlier-method"
OUTLIER_K = "outlier-k"
OUTLIER_SPACE = "outlier-space"
OUTLIER_TOP = "outlier-top"
OUTLIER_SELECT = "outlier-select"
TRUST_K = "trust-k"
STABILITY_SEED = "stability-seed"
ANALYSIS_RUN = "analysis-run"
ANALYSIS_CANCEL = "analysis-cancel"
ANALYSIS_PROGRESS = "analysis-progress"
ANALYSIS_PROGRESS_TEXT = "analysis-progress-text"
ANALYSIS_JOB = "analysis-job"              # the request the background analysis job gets
ANALYSIS_RESULT = "analysis-result"        # what the job answers: the column it wrote
ANALYSIS_MESSAGE = "analysis-message"


def cluster_row(index) -> dict:
    """The ``index``-th listed cluster (largest first); a click selects its points."""
    return {"type": "cluster-row", "index": index}

# comparing two embeddings of the same rows: the Analysis panel's Compare tab and B's map beside the main one
COMPARE_OTHER = "compare-other"            # data set B (the same number of points)
COMPARE_OTHER_HINT = "compare-other-hint"  # why the list of B is empty
COMPARE_K = "compare-k"
COMPARE_SUMMARY = "compare-summary"        # the overall agreement
COMPARE_LIST = "compare-list"              # the points whose neighbourhoods changed most
COMPARE_DETAIL = "compare-detail"          # the clicked point's neighbours in A and in B, side by side
COMPARISON = "comparison"                  # the comparison on screen: A, its points, B, k, column, B's map
COMPARE_BOX = "compare-box"                # B's map with its bar; hidden without a comparison
COMPARE_CAPTION = "compare-caption"
COMPARE_CLOSE = "compare-close"
COMPARE_GRAPH = "compare-map"
COMPARE_DRAWN = "compare-drawn"            # what B's map holds now; written by callbacks/compare.py only


def compare_row(index) -> dict:
    """The ``index``-th most changed point of the comparison (lowest agreement first); a click selects it."""
    return {"type": "compare-row", "index": index}
