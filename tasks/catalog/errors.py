"""Errors the catalog raises."""


class CatalogError(Exception):
    """The catalog file cannot be used at all (missing, unreadable, not TOML)."""


class RequestInvalid(Exception):
    """A run request does not fit its catalog entry; `errors` maps field -> message."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))
