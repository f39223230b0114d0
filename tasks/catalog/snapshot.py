"""Snapshots of what ran: the script file's hash and the interpreter's version."""

import hashlib
import os
import platform
import subprocess
import sys

# Snapshots of what ran. Both are cached by what identifies the file, because a run's
# submission is on the hot path of every execute request.

_hash_cache: dict[tuple[str, int, int], str] = {}


def script_sha256(path: str | os.PathLike[str]) -> str:
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


_version_cache: dict[tuple[str, int], str] = {}


def interpreter_version(interpreter: str) -> str:
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


def what_ran(entry, script_args: list[str]) -> dict[str, str | list[str]]:
    """What a run of `entry` with `script_args` runs on this machine (which may not be the
    one that took its request): the command (masked where a parameter is secret), the
    interpreter and its version, the script's digest."""
    return {
        "argv": entry.argv(script_args),
        "interpreter": entry.interpreter,
        "interpreter_version": interpreter_version(entry.interpreter),
        "script_sha256": script_sha256(entry.path),
    }
