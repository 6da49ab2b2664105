"""Import every callback module, so each registers its callbacks with Dash's global registry."""
from . import (analysis, bookmarks, data, exports, inspector, jobs, plot, projection, sprites, table,  # noqa: F401
               tags, view)
