"""Loading the catalog file: entries, parameters, problems, re-reading."""

import os
import sys
import time
from pathlib import Path

import pytest

from tasks.catalog import get_catalog, load_catalog
from tasks.tests.catalog.helpers import problems, write_catalog

ROOT = Path(__file__).resolve().parents[3]


def test_the_shipped_catalog_loads_without_problems():
    catalog = load_catalog(ROOT / "scripts" / "catalog.toml")
    assert catalog.load_error is None
    assert catalog.problems == []
    assert {"sample", "failing", "progress_bar", "report", "big_output"} <= set(catalog.entries)
    sample = catalog.get("sample")
    assert sample.param("delay").default == 1.0
    assert sample.allow_args


def test_an_entry_gets_sensible_defaults(tmp_path):
    catalog, found = problems(tmp_path, '[scripts.job]\npath = "job.py"\n')
    assert found == []
    entry = catalog.get("job")
    assert entry.title == "Job"
    assert entry.interpreter == sys.executable
    assert entry.params == ()
    assert not entry.allow_args
    assert entry.max_concurrent is None
    assert entry.queue == "default"
    assert entry.live_output is True


def test_a_path_outside_the_catalog_folder_is_refused(tmp_path):
    (tmp_path / "inside").mkdir()
    (tmp_path / "outside.py").write_text("print()\n")
    catalog = load_catalog(
        write_catalog(tmp_path / "inside", '[scripts.x]\npath = "../outside.py"\n')
    )
    assert "x" not in catalog.entries
    assert "outside the catalog folder" in catalog.problems[0][1]


def test_a_symlink_pointing_outside_is_refused(tmp_path):
    (tmp_path / "inside").mkdir()
    (tmp_path / "outside.py").write_text("print()\n")
    os.symlink(tmp_path / "outside.py", tmp_path / "inside" / "link.py")
    catalog = load_catalog(
        write_catalog(tmp_path / "inside", '[scripts.x]\npath = "link.py"\n', ())
    )
    assert "outside the catalog folder" in catalog.problems[0][1]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ('path = "missing.py"', "does not exist"),
        ('path = "job.py"\ntimout = 5', "unknown keys ['timout']"),
        ('path = "job.py"\ntimeout = "soon"', "'timeout' must be a number"),
        ('path = "job.py"\ntimeout = -1', "'timeout' must be a number of seconds"),
        ('path = "job.py"\nmax_concurrent = 0', "'max_concurrent' must be at least 1"),
        ('path = "job.py"\ninterpreter = "no-such-interpreter-here"', "was not found"),
        ('path = "job.py"\ngroups = "ops"', "'groups' must be a list"),
        ('path = "job.py"\nqueue = "a b"', "'queue' must be"),
        ("title = 'no path'", "'path' is required"),
        ('path = "job.py"\nallow_args = "yes"', "'allow_args' must be true or false"),
    ],
)
def test_a_broken_entry_is_left_out_with_a_reason(tmp_path, entry, expected):
    catalog, found = problems(
        tmp_path, f"[scripts.broken]\n{entry}\n\n[scripts.good]\npath = 'job.py'\n"
    )
    assert "broken" not in catalog.entries
    assert "good" in catalog.entries
    assert len(found) == 1
    assert expected in found[0]


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        ('name = "n"\ntype = "float"', "type 'float' is not one of"),
        ('name = "two words"', "'name' must be an identifier"),
        ('name = "n"\ntype = "choice"', "'choices' must be a non-empty list"),
        ('name = "n"\ntype = "integer"\nmin = 5\nmax = 1', "'min' is greater than 'max'"),
        ('name = "n"\npattern = "["', "not a valid regular expression"),
        ('name = "n"\ntype = "integer"\ndefault = "x"', "the default 'x' must be a whole number"),
        ('name = "n"\ntype = "integer"\ndefault = 20\nmax = 10', "must be at most 10"),
        ('name = "n"\npass_as = "stdin"', "'pass_as' must be 'argv' or 'env'"),
        ('name = "n"\npass_as = "env"\nenv = "LD_PRELOAD"', "is reserved"),
        ('name = "n"\npass_as = "env"\nenv = "PYTHONPATH"', "is reserved"),
        ('name = "n"\npass_as = "env"\nenv = "PATH"', "is reserved"),
        ('name = "n"\nflag = "delay"', "'flag' must look like -x or --name"),
        ('name = "n"\nhelp = 3', "'help' must be a string"),
        ('name = "n"\nsize = 3', "unknown keys ['size']"),
    ],
)
def test_a_broken_parameter_is_reported_with_its_name(tmp_path, param, expected):
    catalog, found = problems(
        tmp_path, f'[scripts.job]\npath = "job.py"\n[[scripts.job.params]]\n{param}\n'
    )
    assert "job" not in catalog.entries
    assert expected in found[0]


def test_duplicate_parameter_names_are_refused(tmp_path):
    param = '[[scripts.job.params]]\nname = "a"\n'
    text = '[scripts.job]\npath = "job.py"\n' + param + param
    _, found = problems(tmp_path, text)
    assert "repeated: ['a']" in found[0]


def test_a_bad_script_key_is_refused(tmp_path):
    _, found = problems(tmp_path, '[scripts."Bad Key"]\npath = "job.py"\n')
    assert "lower-case letters" in found[0]


def test_invalid_toml_makes_the_whole_catalog_unavailable(tmp_path):
    catalog = load_catalog(write_catalog(tmp_path, "[scripts.job\npath = 1"))
    assert catalog.entries == {}
    assert "is not valid TOML" in catalog.load_error


def test_a_missing_catalog_file_is_an_error_not_a_crash(settings, tmp_path):
    settings.EXECUTOR_SCRIPTS = str(tmp_path / "nope.toml")
    assert "cannot read" in get_catalog().load_error


def test_the_catalog_is_reread_when_its_file_changes(settings, tmp_path):
    path = write_catalog(tmp_path, '[scripts.one]\npath = "job.py"\n')
    settings.EXECUTOR_SCRIPTS = str(tmp_path)  # a folder works too
    assert set(get_catalog().entries) == {"one"}
    time.sleep(0.01)
    path.write_text('[scripts.one]\npath = "job.py"\n[scripts.two]\npath = "job.py"\n')
    assert set(get_catalog().entries) == {"one", "two"}
