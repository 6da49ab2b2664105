"""Import every callback module, so each registers its callbacks with Dash's global registry."""
from . import (analysis, bookmarks, compare, data, exports, inspector, jobs, plot, projection, sprites,  # noqa: F401
               table, tags, view)
