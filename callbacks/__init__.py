"""Callbacks, one module per panel; importing this package registers them with Dash's global registry."""
from . import bookmarks, data, exports, inspector, projection, sprites, tags  # noqa: F401
