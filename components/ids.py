"""Every component id of the app, in one place (layout and callbacks import them from here)."""

# stores: only ids and small view state live in the browser
CURRENT_VIEW = "current-view"      # the projection drawn now (dataset, subset, method, params, n)
PLANNED_VIEW = "planned-view"      # a cached projection ready to draw
JOB = "projection-job"             # a request for the background projection job
JOB_RESULT = "projection-job-result"
JOB_RUNNING = "projection-job-running"   # True while a job runs (set by Dash's running option)
JOB_CANCELLED = "projection-job-cancelled"   # the job id whose Cancel was pressed
FRAME = "tsne-frame"               # pointer to the latest intermediate t-SNE frame on the server
SUBSET = "isolated-subset"         # id of the isolated subset, or None
SELECTION = "selection"            # anchor point, its neighbours, selected points
URL = "url"
RESTORE = "restore-state"          # a view state to apply (from a bookmark or a link), with a nonce
GIVEN = "given-coordinates"        # {"state", "dims", "axes"}: a bookmark's stored coordinates to draw
CAMERA_TARGET = "camera-target"    # the camera a restored state asks for, with the view it belongs to
CAMERA_CAPTURE = "camera-capture"  # the plot's camera read in the browser when a bookmark or link is made
METADATA_VERSION = "metadata-version"   # bumps when tags change the metadata

# data panel
DATASET = "dataset-picker"
DATASET_INFO = "dataset-info"
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
UPLOAD_NAME = "upload-name"
LOAD = "load-upload"
DATA_MESSAGE = "data-message"
COLOR_BY = "color-by"
LABEL_BY = "label-by"
LEGEND = "legend"
SPHERIZE = "spherize"
IMAGES = "show-images"
IMAGES_MESSAGE = "images-message"
IMAGES_SHOWN = "images-shown"      # True while thumbnails stand in for the dots

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
JOB_STATE = "projection-job-state"
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

# downloads
DOWNLOAD = "download"
EXPORT_CSV = "export-csv"
EXPORT_TSV = "export-tsv"
EXPORT_LIST = "export-list"
EXPORT_HTML = "export-html"
EXPORT_SVG = "export-svg"
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


LIST_ROW_TYPE = "point-row"
BOOKMARK_TYPES = ("bookmark-restore", "bookmark-name", "bookmark-up", "bookmark-down", "bookmark-delete")


def list_row(index) -> dict:
    """Pattern-matching id of a clickable row (neighbour or search result) naming point ``index``."""
    return {"type": LIST_ROW_TYPE, "index": index}


def bookmark(kind: str, uid) -> dict:
    """Pattern-matching id of one control of a bookmark row: ``kind`` is one of BOOKMARK_TYPES."""
    assert kind in BOOKMARK_TYPES
    return {"type": kind, "index": uid}
