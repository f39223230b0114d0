"""Parameter types: how a declared parameter cleans a value and turns into argv or env."""

import math
import os
import re
from dataclasses import dataclass
from typing import Any

SCRIPT_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
# Variables a parameter may not set: they change how the interpreter or the loader
# behaves, which would let a run request execute code the catalog never declared.
RESERVED_ENV = re.compile(r"^(PATH|HOME|SHELL|IFS|ENV|BASH_ENV|LD_.*|PYTHON.*|EXECUTOR_.*)$", re.I)

# "secret" is a string that is masked in the form, never stored in clear, and replaced by
# **** wherever the script prints it (see tasks/secret_params.py).
# "file" is an upload: the script gets the path of a private copy (tasks/services/uploads.py).
PARAM_TYPES = (
    "string",
    "secret",
    "integer",
    "number",
    "boolean",
    "choice",
    "multichoice",
    "file",
)
DEFAULT_MAX_STRING = 1000
DEFAULT_MAX_ARGS = 20
MAX_ARG_LENGTH = 4096
DEFAULT_MAX_FILES = 10
# What a file parameter holds until its run starts: one token per upload (workdir.py).
UPLOAD_TOKEN = re.compile(r"^\{upload:[0-9a-f-]{36}\}$")


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
    # What a person is told when a value does not match `pattern` (instead of the regex).
    pattern_message: str = ""
    choices: tuple[str, ...] = ()
    pass_as: str = "argv"
    flag: str | None = None
    env_name: str | None = None
    # File parameters: allowed extensions (".csv") and media types, the largest file in
    # bytes (None: EXECUTOR_MAX_UPLOAD_BYTES), and whether several files may be sent.
    extensions: tuple = ()
    media_types: tuple = ()
    max_size: int | None = None
    multiple: bool = False
    max_files: int = DEFAULT_MAX_FILES
    # A secret a schedule may keep for its firings (sealed with the server's key); other
    # secrets are refused for schedules, since nobody is there to type them.
    storable: bool = False

    def schema(self) -> dict[str, Any]:
        """The parameter as API clients and the run form see it."""
        data: dict[str, Any] = {
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
        if self.type == "file":
            data.update(
                extensions=list(self.extensions),
                media_types=list(self.media_types),
                max_size=self.max_size,
                multiple=self.multiple,
                max_files=self.max_files if self.multiple else 1,
            )
        return data

    def clean(self, value: Any, *, from_text: bool = False) -> Any:
        """Return the value in its proper type, or raise ValueError with a message.

        `from_text` accepts strings for every type (form fields, `--param k=v`); API
        clients send JSON and get exact type checks.
        """
        cleaner = _CLEANERS.get(self.type)
        if cleaner is None:  # pragma: no cover - load() refuses
            raise ValueError(f"has an unknown type {self.type!r}")
        return cleaner(self, value, from_text)

    def _clean_string(self, value, from_text):
        if not isinstance(value, str):
            raise ValueError("must be a string")
        _check_text(value)
        if self.type == "secret" and ("\n" in value or "\r" in value):
            # One line: the log is masked line by line.
            raise ValueError("must be a single line")
        if len(value) < self.min_length:
            raise ValueError(f"must be at least {self.min_length} characters")
        if len(value) > self.max_length:
            raise ValueError(f"must be at most {self.max_length} characters")
        if self.pattern and not re.fullmatch(self.pattern, value):
            raise ValueError(self.pattern_message or f"must match the pattern {self.pattern}")
        return value

    def _clean_integer(self, value, from_text):
        if from_text and isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise ValueError("must be a whole number") from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        return self._check_range(value)

    def _clean_number(self, value, from_text):
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

    def _clean_boolean(self, value, from_text):
        if from_text and isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("", "0", "false", "no", "off"):
                return False
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value

    def _clean_choice(self, value, from_text):
        if not isinstance(value, str) or value not in self.choices:
            raise ValueError(f"must be one of: {', '.join(self.choices)}")
        return value

    def _clean_multichoice(self, value, from_text):
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

    def _clean_file(self, value, from_text):
        # Files come with the request as uploads, never as values: services turn each
        # upload into a token (and a stored file) before the parameters are cleaned.
        if not isinstance(value, list) or not all(
            isinstance(item, str) and UPLOAD_TOKEN.match(item) for item in value
        ):
            raise ValueError("is a file: send it as a multipart upload")
        if not value and self.required:
            raise ValueError("is required")
        return value

    def _check_range(self, value):
        if self.min is not None and value < self.min:
            raise ValueError(f"must be at least {_number(self.min)}")
        if self.max is not None and value > self.max:
            raise ValueError(f"must be at most {_number(self.max)}")
        return value

    def as_argv(self, value: Any) -> list[str]:
        if self.type == "boolean":
            return [self.flag] if value and self.flag else []
        values = value if self.type in ("multichoice", "file") else [value]
        argv: list[str] = []
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

    def as_env(self, value: Any) -> str:
        if self.type == "boolean":
            return "1" if value else "0"
        if self.type == "multichoice":
            return ",".join(value)
        if self.type == "file":
            return os.pathsep.join(value)
        return _text(value)


_CLEANERS = {
    "string": Param._clean_string,
    "secret": Param._clean_string,
    "integer": Param._clean_integer,
    "number": Param._clean_number,
    "boolean": Param._clean_boolean,
    "choice": Param._clean_choice,
    "multichoice": Param._clean_multichoice,
    "file": Param._clean_file,
}


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
