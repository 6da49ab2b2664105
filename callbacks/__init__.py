"""Callbacks, one module per panel (data, projection, inspector, bookmarks) plus the view record
(view.py), the map (plot.py, the only writer of the figure), the background job (jobs.py),
downloads, tags and thumbnails. Importing :mod:`callbacks.all` registers them with Dash's global
registry; a job process imports :mod:`callbacks.jobs` alone.
"""
