"""Parameter types: cleaning values, converting text, the schema."""

from pathlib import Path

import pytest

from tasks.catalog import RequestInvalid
from tasks.tests.catalog.helpers import echo, problems

ROOT = Path(__file__).resolve().parents[3]


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


def test_a_pattern_can_say_in_words_what_it_allows(tmp_path):
    catalog, found = problems(
        tmp_path,
        '[scripts.job]\npath = "job.py"\n[[scripts.job.params]]\nname = "code"\n'
        'pattern = "[A-Z]{3}"\npattern_message = "must be three capital letters"\n',
    )
    assert found == []
    with pytest.raises(RequestInvalid) as raised:
        catalog.get("job").clean({"code": "abc"}, [])
    assert raised.value.errors == {"params.code": "must be three capital letters"}
