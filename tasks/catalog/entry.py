"""A script entry of the catalog: validates run requests and builds the command."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tasks.catalog.errors import RequestInvalid
from tasks.catalog.params import DEFAULT_MAX_ARGS, MAX_ARG_LENGTH, Param, _check_text


def option_like(value: str) -> bool:
    """Whether a command line would read `value` as an option ("-" alone is stdin)."""
    return value.startswith("-") and value != "-"


@dataclass(frozen=True)
class ScriptEntry:
    key: str
    title: str
    description: str
    path: Path
    relative_path: str
    interpreter: str
    interpreter_args: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    allow_args: bool = False
    max_args: int = DEFAULT_MAX_ARGS
    timeout: float = 3600.0
    max_concurrent: int | None = None
    groups: tuple[str, ...] = ()
    queue: str = "default"
    live_output: bool = True
    unbuffered: bool = False  # PYTHONUNBUFFERED instead of timed flushes
    # The watchdog: seconds of silence before the run is flagged stalled (None: the
    # EXECUTOR_STALL_AFTER default), and before a stalled run is cancelled (None: never).
    stall_after: float | None = None
    cancel_after_stall: float | None = None
    # Whether the script reads "--" as the end of its options (argparse, click, getopt
    # do): then a free value that looks like an option is passed after "--"; else it
    # is refused.
    double_dash: bool = True
    # Caps on what the run may keep of its artifacts; None: EXECUTOR_MAX_*ARTIFACT_BYTES.
    max_artifact_bytes: int | None = None
    max_run_artifact_bytes: int | None = None

    def param(self, name: str) -> Param | None:
        return next((param for param in self.params if param.name == name), None)

    def secret_values(self, params: dict[str, Any]) -> list[str]:
        """The values of the secret parameters among validated `params`."""
        return [
            params[param.name]
            for param in self.params
            if param.type == "secret" and params.get(param.name)
        ]

    def masked(self, params: dict[str, Any], mask: str) -> dict[str, Any]:
        """`params` with every secret value replaced by `mask`."""
        return {
            name: mask if (param := self.param(name)) and param.type == "secret" else value
            for name, value in params.items()
        }

    def clean(
        self, params: Any, args: Any, *, from_text: bool = False
    ) -> tuple[dict[str, Any], list[str]]:
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
        args_error = self._args_error(args)
        if args_error:
            errors["args"] = args_error
        if not self.double_dash:
            errors.update(self._option_like_errors(clean, args if not args_error else []))
        if errors:
            raise RequestInvalid(errors)
        return clean, list(args)

    def _args_error(self, args):
        """Why the free arguments `args` are refused, or None."""
        if not isinstance(args, list):
            return "must be a list of strings"
        if args and not self.allow_args:
            return f"{self.key!r} takes no free arguments; use its parameters"
        if len(args) > self.max_args:
            return f"at most {self.max_args} arguments, got {len(args)}"
        for index, arg in enumerate(args):
            if not isinstance(arg, str):
                return f"argument {index + 1} must be a string"
            if len(arg) > MAX_ARG_LENGTH:
                return f"argument {index + 1} is longer than {MAX_ARG_LENGTH}"
            try:
                _check_text(arg)
            except ValueError as exc:
                return f"argument {index + 1} {exc}"
        return None

    def _option_like_errors(self, params: dict[str, Any], args: list[str]) -> dict[str, str]:
        """For a script that cannot take "--": the free values that look like options."""
        errors = {}
        refusal = (
            f"looks like an option; {self.key!r} cannot take '--', "
            "so free values may not start with '-'"
        )
        for param in self._positional():
            if param.name in params and any(map(option_like, param.as_argv(params[param.name]))):
                errors[f"params.{param.name}"] = refusal
        for index, arg in enumerate(args):
            if option_like(arg):
                errors["args"] = f"argument {index + 1} {refusal}"
                break
        return errors

    def _positional(self) -> list[Param]:
        return [
            p for p in self.params if p.flag is None and p.pass_as != "env" and p.type != "boolean"
        ]

    def command(self, params: dict[str, Any], args: list[str]) -> tuple[list[str], dict[str, str]]:
        """(arguments after the script's path, environment variables) for validated
        parameters and free arguments.

        Typed options always win: when a free value (a positional parameter's or a free
        argument) looks like an option, the options come first and the free values after
        "--", so "--token=evil" reaches the script as a value, never as its --token."""
        options: list[str] = []
        positional: list[str] = []
        in_order: list[str] = []
        env: dict[str, str] = {}
        free = {param.name for param in self._positional()}
        for param in self.params:
            if param.name not in params:
                continue
            value = params[param.name]
            if param.pass_as == "env" and param.env_name:
                env[param.env_name] = param.as_env(value)
                continue
            argv = param.as_argv(value)
            (positional if param.name in free else options).extend(argv)
            in_order.extend(argv)
        positional.extend(args)
        if self.double_dash and any(map(option_like, positional)):
            return [*options, "--", *positional], env
        return [*in_order, *args], env

    def argv(self, script_args: list[str]) -> list[str]:
        return [self.interpreter, *self.interpreter_args, str(self.path), *script_args]

    def schema(self) -> dict[str, Any]:
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
