"""Importing this module warms the process up (see :mod:`projector.warmup`): the warm fork server preloads it."""
from .warmup import warm_all

warm_all()
