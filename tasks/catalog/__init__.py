"""Load the script catalog (a TOML file) and validate run requests against it.

The catalog is re-read when its file changes, so adding a script is adding a file and an
entry: no code change, no restart. A broken entry is left out and reported by
`manage.py check`; it never turns into an error on a request.
"""

import hashlib
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

SCRIPT_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
# Variables a parameter may not set: they change how the interpreter or the loader
# behaves, which would let a run request execute code the catalog never declared.
RESERVED_ENV = re.compile(r"^(PATH|HOME|SHELL|IFS|ENV|BASH_ENV|LD_.*|PYTHON.*|EXECUTOR_.*)$", re.I)

# "secret" is a string that is masked in the form, never stored in clear, and replaced by
# **** wherever the script prints it (see tasks/secret_params.py).
PARAM_TYPES = ("string", "secret", "integer", "number", "boolean", "choice", "multichoice")
DEFAULT_MAX_STRING = 1000
DEFAULT_MAX_ARGS = 20
MAX_ARG_LENGTH = 4096


class CatalogError(Exception):
    """The catalog file cannot be used at all (missing, unreadable, not TOML)."""


class RequestInvalid(Exception):
    """A run request does not fit its catalog entry; `errors` maps field -> message."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    label: str
    help: str = ""
    required: bool = False
    default: object = None
    min: float | None = None
    max: float | None = None
    min_length: int = 0
    max_length: int = DEFAULT_MAX_STRING
    pattern: str | None = None
    choices: tuple = ()
    pass_as: str = "argv"
    flag: str | None = None
    env_name: str | None = None

    def schema(self):
        """The parameter as API clients and the run form see it."""
        data = {
            "name": self.name,
            "type": self.type,
            "label": self.label,
            "help": self.help,
            "required": self.required,
            "default": self.default,
            "pass_as": self.pass_as,
        }
        if self.type in ("integer", "number"):
            data.update(min=self.min, max=self.max)
        if self.type in ("string", "secret"):
            data.update(min_length=self.min_length, max_length=self.max_length)
            data["pattern"] = self.pattern
        if self.type in ("choice", "multichoice"):
            data["choices"] = list(self.choices)
        return data

    def clean(self, value, *, from_text=False):
        """Return the value in its proper type, or raise ValueError with a message.

        `from_text` accepts strings for every type (form fields, `--param k=v`); API
        clients send JSON and get exact type checks.
        """
        kind = self.type
        if kind in ("string", "secret"):
            if not isinstance(value, str):
                raise ValueError("must be a string")
            _check_text(value)
            if kind == "secret" and ("\n" in value or "\r" in value):
                # One line: the log is masked line by line.
                raise ValueError("must be a single line")
            if len(value) < self.min_length:
                raise ValueError(f"must be at least {self.min_length} characters")
            if len(value) > self.max_length:
                raise ValueError(f"must be at most {self.max_length} characters")
            if self.pattern and not re.fullmatch(self.pattern, value):
                raise ValueError(f"must match the pattern {self.pattern}")
            return value
        if kind == "integer":
            if from_text and isinstance(value, str):
                try:
                    value = int(value.strip())
                except ValueError:
                    raise ValueError("must be a whole number") from None
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError("must be a whole number")
            return self._check_range(value)
        if kind == "number":
            if from_text and isinstance(value, str):
                try:
                    value = float(value.strip())
                except ValueError:
                    raise ValueError("must be a number") from None
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError("must be a number")
            if not math.isfinite(value):
                raise ValueError("must be a finite number")
            return self._check_range(value)
        if kind == "boolean":
            if from_text and isinstance(value, str):
                lowered = value.strip().lower()
                if lowered in ("1", "true", "yes", "on"):
                    return True
                if lowered in ("", "0", "false", "no", "off"):
                    return False
            if not isinstance(value, bool):
                raise ValueError("must be true or false")
            return value
        if kind == "choice":
            if not isinstance(value, str) or value not in self.choices:
                raise ValueError(f"must be one of: {', '.join(self.choices)}")
            return value
        if kind == "multichoice":
            if from_text and isinstance(value, str):
                value = [item.strip() for item in value.split(",") if item.strip()]
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise ValueError("must be a list of strings")
            unknown = [item for item in value if item not in self.choices]
            if unknown:
                raise ValueError(
                    f"unknown choice {unknown[0]!r}; choose from: {', '.join(self.choices)}"
                )
            return list(dict.fromkeys(value))
        raise ValueError(f"has an unknown type {kind!r}")  # pragma: no cover - load() refuses

    def _check_range(self, value):
        if self.min is not None and value < self.min:
            raise ValueError(f"must be at least {_number(self.min)}")
        if self.max is not None and value > self.max:
            raise ValueError(f"must be at most {_number(self.max)}")
        return value

    def as_argv(self, value):
        if self.type == "boolean":
            return [self.flag] if value else []
        values = value if self.type == "multichoice" else [value]
        argv = []
        for item in values:
            text = _text(item)
            if self.flag is None:
                argv.append(text)
            elif self.flag.startswith("--"):
                # --name=value keeps a value that starts with "-" from reading as an option.
                argv.append(f"{self.flag}={text}")
            else:
                argv.extend([self.flag, text])
        return argv

    def as_env(self, value):
        if self.type == "boolean":
            return "1" if value else "0"
        if self.type == "multichoice":
            return ",".join(value)
        return _text(value)


@dataclass(frozen=True)
class ScriptEntry:
    key: str
    title: str
    description: str
    path: Path
    relative_path: str
    interpreter: str
    interpreter_args: tuple = ()
    params: tuple = ()
    allow_args: bool = False
    max_args: int = DEFAULT_MAX_ARGS
    timeout: float = 3600.0
    max_concurrent: int | None = None
    groups: tuple = ()
    queue: str = "default"
    live_output: bool = True

    def param(self, name):
        return next((param for param in self.params if param.name == name), None)

    def secret_values(self, params):
        """The values of the secret parameters among validated `params`."""
        return [
            params[param.name]
            for param in self.params
            if param.type == "secret" and params.get(param.name)
        ]

    def masked(self, params, mask):
        """`params` with every secret value replaced by `mask`."""
        return {
            name: mask if (param := self.param(name)) and param.type == "secret" else value
            for name, value in params.items()
        }

    def clean(self, params, args, *, from_text=False):
        """Validate a request; return (params, args) or raise RequestInvalid."""
        errors = {}
        if params is None:
            params = {}
        if args is None:
            args = []
        if not isinstance(params, dict):
            raise RequestInvalid({"params": "must be an object of parameter names to values"})
        known = {param.name for param in self.params}
        for name in params:
            if name not in known:
                hint = f"; this script takes: {', '.join(sorted(known))}" if known else ""
                errors[f"params.{name}"] = f"is not a parameter of {self.key!r}{hint}"
        clean = {}
        for param in self.params:
            value = params.get(param.name)
            if value is None:
                if param.required and param.default is None:
                    errors[f"params.{param.name}"] = "is required"
                elif param.default is not None:
                    clean[param.name] = param.default
                continue
            try:
                clean[param.name] = param.clean(value, from_text=from_text)
            except ValueError as exc:
                errors[f"params.{param.name}"] = str(exc)
        if not isinstance(args, list):
            errors["args"] = "must be a list of strings"
        elif args and not self.allow_args:
            errors["args"] = f"{self.key!r} takes no free arguments; use its parameters"
        elif len(args) > self.max_args:
            errors["args"] = f"at most {self.max_args} arguments, got {len(args)}"
        else:
            for index, arg in enumerate(args):
                if not isinstance(arg, str):
                    errors["args"] = f"argument {index + 1} must be a string"
                    break
                if len(arg) > MAX_ARG_LENGTH:
                    errors["args"] = f"argument {index + 1} is longer than {MAX_ARG_LENGTH}"
                    break
                try:
                    _check_text(arg)
                except ValueError as exc:
                    errors["args"] = f"argument {index + 1} {exc}"
                    break
        if errors:
            raise RequestInvalid(errors)
        return clean, list(args)

    def command(self, params, args):
        """(arguments after the script's path, environment variables) for validated
        parameters and free arguments."""
        script_args = []
        env = {}
        for param in self.params:
            if param.name not in params:
                continue
            value = params[param.name]
            if param.pass_as == "env":
                env[param.env_name] = param.as_env(value)
            else:
                script_args.extend(param.as_argv(value))
        script_args.extend(args)
        return script_args, env

    def argv(self, script_args):
        return [self.interpreter, *self.interpreter_args, str(self.path), *script_args]

    def schema(self):
        return {
            "key": self.key,
            "title": self.title,
            "description": self.description,
            "params": [param.schema() for param in self.params],
            "allow_args": self.allow_args,
            "max_args": self.max_args if self.allow_args else 0,
            "timeout": self.timeout,
            "queue": self.queue,
        }


@dataclass
class Catalog:
    path: Path
    entries: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)  # (script key or "", message)
    load_error: str | None = None

    @property
    def folder(self):
        return self.path.parent

    def get(self, key):
        return self.entries.get(key) if isinstance(key, str) else None

    def __iter__(self):
        return iter(self.entries.values())


def catalog_path():
    path = Path(settings.EXECUTOR_SCRIPTS)
    return path / "catalog.toml" if path.is_dir() else path


_cache_lock = threading.Lock()
_cache = {}


def get_catalog():
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


def clear_cache():
    with _cache_lock:
        _cache.clear()


def load_catalog(path):
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
    "choices",
    "pass_as",
    "flag",
    "env",
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
    relative = _get(raw, "path", str, None)
    if not relative:
        raise ValueError("'path' is required: the script file, relative to the catalog folder")
    script = (folder / relative).resolve()
    if not script.is_relative_to(folder):
        raise ValueError(f"path {relative!r} is outside the catalog folder {folder}")
    if not script.is_file():
        raise ValueError(f"path {relative!r} does not exist (looked for {script})")
    interpreter = _get(raw, "interpreter", str, "") or sys.executable
    if interpreter in ("python", "python3") and not raw.get("interpreter_args"):
        interpreter = sys.executable
    resolved = shutil.which(interpreter)
    if resolved is None:
        raise ValueError(f"interpreter {interpreter!r} was not found or is not executable")
    interpreter_args = _get(raw, "interpreter_args", list, [])
    if not all(isinstance(item, str) for item in interpreter_args):
        raise ValueError("'interpreter_args' must be a list of strings")
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
    )


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
        minimum = _get(raw, "min", (int, float), None)
        maximum = _get(raw, "max", (int, float), None)
        if minimum is not None and maximum is not None and minimum > maximum:
            raise ValueError("'min' is greater than 'max'")
        max_length = _get(raw, "max_length", int, DEFAULT_MAX_STRING)
        min_length = _get(raw, "min_length", int, 0)
        if not 0 <= min_length <= max_length <= 100_000:
            raise ValueError("need 0 <= min_length <= max_length <= 100000")
        param = Param(
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
            choices=tuple(choices),
            pass_as=pass_as,
            flag=flag,
            env_name=env_name if pass_as == "env" else None,
        )
        default = raw.get("default")
        if default is not None and kind == "secret":
            raise ValueError("a secret parameter cannot have a default (the catalog is not secret)")
        if default is not None:
            try:
                default = param.clean(default)
            except ValueError as exc:
                raise ValueError(f"the default {default!r} {exc}") from None
            param = Param(**{**param.__dict__, "default": default})
        return param
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _get(raw, key, kind, default):
    if key not in raw:
        return default
    value = raw[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise ValueError(f"'{key}' must be {_kind_name(kinds)}, not a boolean")
    if not isinstance(value, kinds):
        raise ValueError(f"'{key}' must be {_kind_name(kinds)}, not {type(value).__name__}")
    return value


def _kind_name(kinds):
    if set(kinds) == {int, float}:
        return "a number"
    names = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}
    names.update({list: "a list", dict: "a table"})
    return " or ".join(names.get(kind, kind.__name__) for kind in kinds)


def _check_text(value):
    """Refuse text a process argument or a database cannot carry."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None


def _text(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 2**53 else repr(value)
    return str(value)


def _number(value):
    return _text(value)


# Snapshots of what ran. Both are cached by what identifies the file, because a run's
# submission is on the hot path of every execute request.

_hash_cache = {}


def script_sha256(path):
    try:
        stat = os.stat(path)
    except OSError:
        return ""
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    cached = _hash_cache.get(key)
    if cached is None:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        cached = _hash_cache[key] = digest.hexdigest()
    return cached


_version_cache = {}


def interpreter_version(interpreter):
    if interpreter == sys.executable:
        return f"Python {platform.python_version()}"
    try:
        stat = os.stat(interpreter)
    except OSError:
        return ""
    key = (interpreter, stat.st_mtime_ns)
    if key not in _version_cache:
        try:
            completed = subprocess.run(
                [interpreter, "--version"],
                capture_output=True,
                stdin=subprocess.DEVNULL,
                timeout=5,
                check=False,
            )
            text = (completed.stdout or completed.stderr).decode("utf-8", "replace").strip()
            _version_cache[key] = text.splitlines()[0][:100] if text else ""
        except (OSError, subprocess.SubprocessError):
            _version_cache[key] = ""
    return _version_cache[key]
