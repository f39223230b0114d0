"""Load the script catalog (a TOML file) and validate run requests against it.

The catalog is re-read when its file changes, so adding a script is adding a file and an
entry: no code change, no restart. A broken entry is left out and reported by
`manage.py check`; it never turns into an error on a request.
"""

from tasks.catalog.entry import ScriptEntry
from tasks.catalog.errors import CatalogError, RequestInvalid
from tasks.catalog.loader import (
    ENTRY_KEYS,
    PARAM_KEYS,
    Catalog,
    catalog_path,
    clear_cache,
    get_catalog,
    load_catalog,
)
from tasks.catalog.params import (
    DEFAULT_MAX_ARGS,
    DEFAULT_MAX_STRING,
    ENV_NAME,
    MAX_ARG_LENGTH,
    PARAM_NAME,
    PARAM_TYPES,
    RESERVED_ENV,
    SCRIPT_KEY,
    Param,
)
from tasks.catalog.snapshot import interpreter_version, script_sha256, what_ran

__all__ = [
    "DEFAULT_MAX_ARGS",
    "DEFAULT_MAX_STRING",
    "ENTRY_KEYS",
    "ENV_NAME",
    "MAX_ARG_LENGTH",
    "PARAM_KEYS",
    "PARAM_NAME",
    "PARAM_TYPES",
    "RESERVED_ENV",
    "SCRIPT_KEY",
    "Catalog",
    "CatalogError",
    "Param",
    "RequestInvalid",
    "ScriptEntry",
    "catalog_path",
    "clear_cache",
    "get_catalog",
    "interpreter_version",
    "load_catalog",
    "script_sha256",
    "what_ran",
]
