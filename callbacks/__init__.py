"""Callbacks, one module per panel; importing this package registers them with Dash's global registry."""
from . import data, inspector, projection  # noqa: F401
