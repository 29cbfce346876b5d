"""Typed errors. The CLI turns a :class:`BadInput` into exit status 2 and one line."""


class BadInput(Exception):
    """The user asked for something that cannot be done (unknown id, bad --set, bad store...)."""


class ConfigError(BadInput, ValueError):
    """A configuration value outside its domain (raised from a config's ``__post_init__``)."""


class StoreError(BadInput):
    """The store file is unreadable, truncated, corrupt or not a dlclaims store."""
