"""Import every callback module, so each registers its callbacks with Dash's global registry."""
from . import bookmarks, data, exports, inspector, jobs, plot, projection, sprites, tags, view  # noqa: F401
