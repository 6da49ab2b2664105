"""Callbacks, one module per panel; importing this package registers them with Dash's global registry."""
from . import data, exports, inspector, projection  # noqa: F401
