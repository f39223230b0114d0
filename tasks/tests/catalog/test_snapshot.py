"""Snapshots of what ran: the script's hash and the interpreter's version."""

import hashlib
import sys

from tasks.catalog import interpreter_version, script_sha256


def test_the_hash_is_the_sha256_of_the_file(tmp_path):
    path = tmp_path / "job.py"
    path.write_bytes(b"print('hi')\n")
    assert script_sha256(path) == hashlib.sha256(b"print('hi')\n").hexdigest()


def test_a_missing_file_has_an_empty_hash(tmp_path):
    assert script_sha256(tmp_path / "missing.py") == ""


def test_the_running_python_reports_its_version():
    assert interpreter_version(sys.executable).startswith("Python 3.")


def test_a_missing_interpreter_has_an_empty_version(tmp_path):
    assert interpreter_version(str(tmp_path / "no-python")) == ""
