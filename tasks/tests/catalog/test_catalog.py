"""The script catalog: loading, validation of entries and of run requests, argv."""

import os
import sys
import time
from pathlib import Path

import pytest

from tasks.catalog import RequestInvalid, get_catalog, load_catalog

ROOT = Path(__file__).resolve().parents[3]


def write_catalog(folder, text, scripts=("job.py",)):
    for name in scripts:
        (folder / name).write_text("print('hi')\n")
    path = folder / "catalog.toml"
    path.write_text(text)
    return path


def problems(folder, text):
    catalog = load_catalog(write_catalog(folder, text))
    return catalog, [message for _, message in catalog.problems]


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


def echo():
    return get_catalog().get("echo")


def test_typed_parameters_are_cleaned_and_defaults_filled():
    params, args = echo().clean(
        {"count": 3, "ratio": 1, "loud": True, "tags": ["b", "a", "b"]}, ["x"]
    )
    assert params == {"greeting": "hello", "count": 3, "ratio": 1, "loud": True, "tags": ["b", "a"]}
    assert args == ["x"]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"count": "3"}, "params.count", "must be a whole number"),
        ({"count": 3.5}, "params.count", "must be a whole number"),
        ({"count": True}, "params.count", "must be a whole number"),
        ({"count": 11}, "params.count", "must be at most 10"),
        ({"count": -1}, "params.count", "must be at least 0"),
        ({"ratio": "0.5"}, "params.ratio", "must be a number"),
        ({"ratio": float("nan")}, "params.ratio", "must be a finite number"),
        ({"loud": "yes"}, "params.loud", "must be true or false"),
        ({"color": "blue"}, "params.color", "must be one of: red, green"),
        ({"tags": "a"}, "params.tags", "must be a list of strings"),
        ({"tags": ["z"]}, "params.tags", "unknown choice 'z'"),
        ({"greeting": 5}, "params.greeting", "must be a string"),
        ({"greeting": "x" * 101}, "params.greeting", "at most 100 characters"),
        ({"greeting": "a\x00b"}, "params.greeting", "must not contain NUL"),
        ({"greeting": "\ud800"}, "params.greeting", "no lone surrogates"),
        ({"mood": "Sunny!"}, "params.mood", "must match the pattern"),
        ({"volume": 3}, "params.volume", "is not a parameter of 'echo'"),
    ],
)
def test_a_bad_parameter_gets_a_message_naming_it(params, field, message):
    with pytest.raises(RequestInvalid) as raised:
        echo().clean(params, [])
    assert message in raised.value.errors[field]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("a b", "must be a list of strings"),
        ([1], "argument 1 must be a string"),
        (["x" * 5000], "longer than 4096"),
        (["ok", "a\x00"], "argument 2 must not contain NUL"),
        (["x"] * 51, "at most 50 arguments"),
    ],
)
def test_bad_free_arguments_are_refused(args, message):
    with pytest.raises(RequestInvalid) as raised:
        echo().clean({}, args)
    assert message in raised.value.errors["args"]


def test_a_script_without_free_arguments_refuses_them():
    with pytest.raises(RequestInvalid) as raised:
        get_catalog().get("fail").clean({}, ["x"])
    assert "takes no free arguments" in raised.value.errors["args"]


def test_a_required_parameter_must_be_given(tmp_path, settings):
    path = write_catalog(
        tmp_path,
        '[scripts.job]\npath = "job.py"\n[[scripts.job.params]]\nname = "who"\nrequired = true\n',
    )
    settings.EXECUTOR_SCRIPTS = str(path)
    with pytest.raises(RequestInvalid) as raised:
        get_catalog().get("job").clean({}, [])
    assert raised.value.errors == {"params.who": "is required"}


def test_text_values_are_converted_for_forms_and_the_command_line():
    params, _ = echo().clean(
        {"count": " 4 ", "ratio": "0.25", "loud": "on", "tags": "a, c"}, [], from_text=True
    )
    assert params == {
        "greeting": "hello",
        "count": 4,
        "ratio": 0.25,
        "loud": True,
        "tags": ["a", "c"],
    }


def test_parameters_become_argv_and_environment():
    entry = echo()
    params, args = entry.clean(
        {
            "greeting": "-rf",
            "count": 2,
            "ratio": 0.5,
            "loud": False,
            "tags": ["a", "b"],
            "mood": "calm",
        },
        ["--", "free"],
    )
    script_args, env = entry.command(params, args)
    # A value starting with "-" stays glued to its flag, so it cannot read as an option.
    assert script_args == ["--greeting=-rf", "--count=2", "0.5", "--tag=a", "--tag=b", "--", "free"]
    assert env == {"ECHO_MOOD": "calm"}
    assert entry.argv(script_args)[:2] == [sys.executable, str(entry.path)]


def test_a_short_flag_takes_its_value_as_the_next_argument(tmp_path, settings):
    path = write_catalog(
        tmp_path,
        '[scripts.job]\npath = "job.py"\n'
        '[[scripts.job.params]]\nname = "n"\ntype = "integer"\nflag = "-n"\n',
    )
    settings.EXECUTOR_SCRIPTS = str(path)
    entry = get_catalog().get("job")
    assert entry.command({"n": 3}, [])[0] == ["-n", "3"]


def test_the_schema_describes_each_parameter():
    schema = echo().schema()
    assert schema["key"] == "echo"
    assert schema["allow_args"] is True
    count = next(param for param in schema["params"] if param["name"] == "count")
    assert count == {
        "name": "count",
        "type": "integer",
        "label": "Count",
        "help": "",
        "required": False,
        "default": None,
        "pass_as": "argv",
        "min": 0,
        "max": 10,
    }
