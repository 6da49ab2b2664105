"""Exceptions a user of the engine can meet."""


class DataError(ValueError):
    """A problem the user caused (bad file, bad query); the message is one sentence for a person."""


class Cancelled(Exception):
    """Raised when ``should_stop()`` asked a long computation to stop."""
