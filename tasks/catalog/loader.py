"""Read the catalog TOML file into entries, re-reading it when it changes."""

import re
import shutil
import sys
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from tasks.catalog.entry import ScriptEntry
from tasks.catalog.params import (
    DEFAULT_MAX_ARGS,
    DEFAULT_MAX_FILES,
    DEFAULT_MAX_STRING,
    ENV_NAME,
    PARAM_NAME,
    PARAM_TYPES,
    RESERVED_ENV,
    SCRIPT_KEY,
    Param,
)
from tasks.catalog.values import byte_cap as _byte_cap
from tasks.catalog.values import get as _get
from tasks.catalog.values import seconds as _seconds


@dataclass
class Catalog:
    path: Path
    entries: dict[str, ScriptEntry] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (script key or "", message)
    load_error: str | None = None

    @property
    def folder(self) -> Path:
        return self.path.parent

    def get(self, key: object) -> ScriptEntry | None:
        return self.entries.get(key) if isinstance(key, str) else None

    def __iter__(self) -> Iterator[ScriptEntry]:
        return iter(self.entries.values())


def catalog_path() -> Path:
    path = Path(settings.EXECUTOR_SCRIPTS)
    return path / "catalog.toml" if path.is_dir() else path


_cache_lock = threading.Lock()
_cache: dict[str, Any] = {}


def get_catalog() -> Catalog:
    """The current catalog, re-read only when the file's size or mtime changes."""
    path = catalog_path()
    try:
        stat = path.stat()
        stamp = (str(path), stat.st_mtime_ns, stat.st_size, _settings_stamp())
    except OSError as exc:
        return Catalog(path=path, load_error=f"cannot read {path}: {exc.strerror}")
    with _cache_lock:
        cached = _cache.get("catalog")
        if cached is not None and cached[0] == stamp:
            return cached[1]
        catalog = load_catalog(path)
        _cache["catalog"] = (stamp, catalog)
        return catalog


def _settings_stamp():
    return (settings.EXECUTOR_DEFAULT_TIMEOUT,)


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def load_catalog(path: str | Path) -> Catalog:
    path = Path(path)
    catalog = Catalog(path=path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        catalog.load_error = f"cannot read {path}: {exc.strerror}"
        return catalog
    except tomllib.TOMLDecodeError as exc:
        catalog.load_error = f"{path} is not valid TOML: {exc}"
        return catalog
    unknown = set(data) - {"scripts"}
    if unknown:
        catalog.problems.append(
            ("", f"unknown top-level keys {sorted(unknown)}; use [scripts.NAME]")
        )
    scripts = data.get("scripts", {})
    if not isinstance(scripts, dict):
        catalog.load_error = f"{path}: 'scripts' must be a table of [scripts.NAME] entries"
        return catalog
    folder = path.parent.resolve()
    for key, raw in scripts.items():
        try:
            catalog.entries[key] = _load_entry(key, raw, folder)
        except ValueError as exc:
            catalog.problems.append((key, str(exc)))
    return catalog


ENTRY_KEYS = {
    "title",
    "description",
    "path",
    "interpreter",
    "interpreter_args",
    "params",
    "allow_args",
    "max_args",
    "timeout",
    "max_concurrent",
    "groups",
    "queue",
    "live_output",
    "unbuffered",
    "stall_after",
    "cancel_after_stall",
    "double_dash",
    "max_artifact_bytes",
    "max_run_artifact_bytes",
}
PARAM_KEYS = {
    "name",
    "type",
    "label",
    "help",
    "required",
    "default",
    "min",
    "max",
    "min_length",
    "max_length",
    "pattern",
    "pattern_message",
    "choices",
    "pass_as",
    "flag",
    "env",
    "extensions",
    "media_types",
    "max_size",
    "multiple",
    "max_files",
    "storable",
}


def _load_entry(key, raw, folder):
    if not SCRIPT_KEY.match(key):
        raise ValueError(
            "the name must be 1-64 lower-case letters, digits, '-' or '_', starting with a "
            "letter or digit"
        )
    if not isinstance(raw, dict):
        raise ValueError("must be a table ([scripts.NAME])")
    unknown = set(raw) - ENTRY_KEYS
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}; allowed: {sorted(ENTRY_KEYS)}")
    script = _entry_script(raw, folder)
    resolved, interpreter_args = _entry_interpreter(raw)
    timeout = _get(raw, "timeout", (int, float), settings.EXECUTOR_DEFAULT_TIMEOUT)
    if not (isinstance(timeout, (int, float)) and 0 < timeout <= 7 * 24 * 3600):
        raise ValueError("'timeout' must be a number of seconds between 0 and 604800")
    max_concurrent = _get(raw, "max_concurrent", int, None)
    if max_concurrent is not None and max_concurrent < 1:
        raise ValueError("'max_concurrent' must be at least 1 (leave it out for no limit)")
    max_args = _get(raw, "max_args", int, DEFAULT_MAX_ARGS)
    if not 0 <= max_args <= 1000:
        raise ValueError("'max_args' must be between 0 and 1000")
    groups = _get(raw, "groups", list, [])
    if not all(isinstance(group, str) and group for group in groups):
        raise ValueError("'groups' must be a list of group names")
    queue = _get(raw, "queue", str, "default")
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", queue):
        raise ValueError("'queue' must be 1-100 letters, digits, '.', '-' or '_'")
    params = _entry_params(raw)
    return ScriptEntry(
        key=key,
        title=_get(raw, "title", str, key.replace("_", " ").replace("-", " ").capitalize()),
        description=_get(raw, "description", str, ""),
        path=script,
        relative_path=str(script.relative_to(folder)),
        interpreter=resolved,
        interpreter_args=tuple(interpreter_args),
        params=tuple(params),
        allow_args=_get(raw, "allow_args", bool, False),
        max_args=max_args,
        timeout=float(timeout),
        max_concurrent=max_concurrent,
        groups=tuple(groups),
        queue=queue,
        live_output=_get(raw, "live_output", bool, True),
        unbuffered=_get(raw, "unbuffered", bool, False),
        stall_after=_seconds(raw, "stall_after"),
        cancel_after_stall=_seconds(raw, "cancel_after_stall"),
        double_dash=_get(raw, "double_dash", bool, True),
        max_artifact_bytes=_byte_cap(raw, "max_artifact_bytes"),
        max_run_artifact_bytes=_byte_cap(raw, "max_run_artifact_bytes"),
    )


def _entry_script(raw, folder):
    relative = _get(raw, "path", str, None)
    if not relative:
        raise ValueError("'path' is required: the script file, relative to the catalog folder")
    script = (folder / relative).resolve()
    if not script.is_relative_to(folder):
        raise ValueError(f"path {relative!r} is outside the catalog folder {folder}")
    if not script.is_file():
        raise ValueError(f"path {relative!r} does not exist (looked for {script})")
    return script


def _entry_interpreter(raw):
    interpreter = _get(raw, "interpreter", str, "") or sys.executable
    if interpreter in ("python", "python3") and not raw.get("interpreter_args"):
        interpreter = sys.executable
    resolved = shutil.which(interpreter)
    if resolved is None:
        raise ValueError(f"interpreter {interpreter!r} was not found or is not executable")
    interpreter_args = _get(raw, "interpreter_args", list, [])
    if not all(isinstance(item, str) for item in interpreter_args):
        raise ValueError("'interpreter_args' must be a list of strings")
    return resolved, interpreter_args


def _entry_params(raw):
    raw_params = _get(raw, "params", list, [])
    params = []
    for index, raw_param in enumerate(raw_params):
        params.append(_load_param(index, raw_param))
    names = [param.name for param in params]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise ValueError(f"parameter names must be unique; repeated: {sorted(duplicates)}")
    envs = [param.env_name for param in params if param.pass_as == "env"]
    if len(envs) != len(set(envs)):
        raise ValueError("two parameters set the same environment variable")
    return params


def _load_param(index, raw):
    where = f"params[{index}]"
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be a table ([[scripts.NAME.params]])")
    unknown = set(raw) - PARAM_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(PARAM_KEYS)}")
    name = raw.get("name")
    if not isinstance(name, str) or not PARAM_NAME.match(name):
        raise ValueError(f"{where}: 'name' must be an identifier (letters, digits, '_')")
    where = f"parameter {name!r}"
    kind = raw.get("type", "string")
    if kind not in PARAM_TYPES:
        raise ValueError(f"{where}: type {kind!r} is not one of {', '.join(PARAM_TYPES)}")
    try:
        return _build_param(raw, name, kind)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _build_param(raw, name, kind):
    pass_as, flag, env_name = _param_passing(raw, name, kind)
    choices, pattern = _param_choices_and_pattern(raw, kind)
    minimum = _get(raw, "min", (int, float), None)
    maximum = _get(raw, "max", (int, float), None)
    if minimum is not None and maximum is not None and minimum > maximum:
        raise ValueError("'min' is greater than 'max'")
    max_length = _get(raw, "max_length", int, DEFAULT_MAX_STRING)
    min_length = _get(raw, "min_length", int, 0)
    if not 0 <= min_length <= max_length <= 100_000:
        raise ValueError("need 0 <= min_length <= max_length <= 100000")
    param = Param(
        **_file_options(raw, kind),
        name=name,
        type=kind,
        label=_get(raw, "label", str, name.replace("_", " ").capitalize()),
        help=_get(raw, "help", str, ""),
        required=_get(raw, "required", bool, False),
        min=minimum,
        max=maximum,
        min_length=min_length,
        max_length=max_length,
        pattern=pattern,
        pattern_message=_get(raw, "pattern_message", str, "") if pattern else "",
        choices=tuple(choices),
        pass_as=pass_as,
        flag=flag,
        env_name=env_name if pass_as == "env" else None,
        storable=_storable(raw, kind),
    )
    default = raw.get("default")
    if default is not None and kind == "file":
        raise ValueError("a file parameter cannot have a default")
    if default is not None and kind == "secret":
        raise ValueError("a secret parameter cannot have a default (the catalog is not secret)")
    if default is not None:
        try:
            default = param.clean(default)
        except ValueError as exc:
            raise ValueError(f"the default {default!r} {exc}") from None
        param = Param(**{**param.__dict__, "default": default})
    return param


def _storable(raw, kind):
    """Whether a schedule may keep this secret's value (sealed, like a pending run's)."""
    storable = _get(raw, "storable", bool, False)
    if storable and kind != "secret":
        raise ValueError("'storable' is for secret parameters only")
    return storable


def _file_options(raw, kind):
    """A file parameter's limits (and a refusal of them on any other type)."""
    keys = {"extensions", "media_types", "max_size", "multiple", "max_files"} & set(raw)
    if kind != "file":
        if keys:
            raise ValueError(f"{sorted(keys)} only apply to file parameters")
        return {}
    extensions = _get(raw, "extensions", list, [])
    if not all(
        isinstance(item, str) and re.fullmatch(r"\.[A-Za-z0-9]{1,10}", item) for item in extensions
    ):
        raise ValueError('\'extensions\' must be a list like [".csv", ".txt"]')
    media_types = _get(raw, "media_types", list, [])
    if not all(
        isinstance(item, str) and re.fullmatch(r"[\w.+-]+/[\w.+*-]+", item) for item in media_types
    ):
        raise ValueError('\'media_types\' must be a list like ["text/csv", "image/*"]')
    max_size = _get(raw, "max_size", int, None)
    if max_size is not None and not 1 <= max_size <= settings.EXECUTOR_MAX_UPLOAD_BYTES:
        raise ValueError(
            f"'max_size' must be between 1 and EXECUTOR_MAX_UPLOAD_BYTES "
            f"({settings.EXECUTOR_MAX_UPLOAD_BYTES}) bytes"
        )
    max_files = _get(raw, "max_files", int, DEFAULT_MAX_FILES)
    if not 1 <= max_files <= 100:
        raise ValueError("'max_files' must be between 1 and 100")
    return {
        "extensions": tuple(item.lower() for item in extensions),
        "media_types": tuple(media_types),
        "max_size": max_size,
        "multiple": _get(raw, "multiple", bool, False),
        "max_files": max_files,
    }


def _param_passing(raw, name, kind):
    pass_as = _get(raw, "pass_as", str, "argv")
    if pass_as not in ("argv", "env"):
        raise ValueError("'pass_as' must be 'argv' or 'env'")
    flag = _get(raw, "flag", str, None)
    if flag is not None and not re.fullmatch(r"-{1,2}[A-Za-z0-9][A-Za-z0-9_.-]*", flag):
        raise ValueError("'flag' must look like -x or --name")
    if kind == "boolean" and pass_as == "argv" and flag is None:
        flag = "--" + name.replace("_", "-")
    env_name = _get(raw, "env", str, name.upper())
    if pass_as == "env":
        if not ENV_NAME.match(env_name):
            raise ValueError(f"'env' {env_name!r} is not a valid variable name")
        if RESERVED_ENV.match(env_name):
            raise ValueError(f"'env' {env_name!r} is reserved; choose another variable name")
    return pass_as, flag, env_name


def _param_choices_and_pattern(raw, kind):
    choices = _get(raw, "choices", list, [])
    if kind in ("choice", "multichoice"):
        if not choices or not all(isinstance(choice, str) and choice for choice in choices):
            raise ValueError("'choices' must be a non-empty list of strings")
    elif choices:
        raise ValueError("'choices' only applies to choice and multichoice parameters")
    pattern = _get(raw, "pattern", str, None)
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"'pattern' is not a valid regular expression: {exc}") from None
    return choices, pattern
