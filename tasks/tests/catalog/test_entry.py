"""A script entry: validating requests, free arguments, argv and environment."""

import sys
from pathlib import Path

import pytest

from tasks.catalog import RequestInvalid, get_catalog
from tasks.tests.catalog.helpers import echo, write_catalog

ROOT = Path(__file__).resolve().parents[3]


def test_typed_parameters_are_cleaned_and_defaults_filled():
    params, args = echo().clean(
        {"count": 3, "ratio": 1, "loud": True, "tags": ["b", "a", "b"]}, ["x"]
    )
    assert params == {"greeting": "hello", "count": 3, "ratio": 1, "loud": True, "tags": ["b", "a"]}
    assert args == ["x"]


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
    # A value starting with "-" stays glued to its flag, so it cannot read as an option;
    # a free "--" is a value too: the options come first, then "--", then free values.
    assert script_args == [
        *("--greeting=-rf", "--count=2", "--tag=a", "--tag=b"),
        *("--", "0.5", "--", "free"),
    ]
    assert env == {"ECHO_MOOD": "calm"}
    assert entry.argv(script_args)[:2] == [sys.executable, str(entry.path)]


def test_free_values_that_look_like_nothing_but_values_keep_their_place():
    entry = echo()
    params, args = entry.clean({"ratio": 0.5, "count": 1}, ["a", "-"])
    assert entry.command(params, args)[0] == ["--greeting=hello", "--count=1", "0.5", "a", "-"]


def test_a_short_flag_takes_its_value_as_the_next_argument(tmp_path, settings):
    path = write_catalog(
        tmp_path,
        '[scripts.job]\npath = "job.py"\n'
        '[[scripts.job.params]]\nname = "n"\ntype = "integer"\nflag = "-n"\n',
    )
    settings.EXECUTOR_SCRIPTS = str(path)
    entry = get_catalog().get("job")
    assert entry.command({"n": 3}, [])[0] == ["-n", "3"]
