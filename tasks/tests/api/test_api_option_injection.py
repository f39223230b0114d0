"""Free values cannot set typed options: an argparse script with a typed --token, a
--admin flag, a positional parameter and free arguments, attacked through the API."""

import json

import pytest

from tasks.history import logs
from tasks.models import Status, Task
from tasks.tests.helpers import wait_finished

pytestmark = pytest.mark.django_db(transaction=True)


def parsed(api, script, target, args=()):
    response = api.post(
        "/api/execute",
        {"script_type": script, "params": {"token": "t", "target": target}, "args": list(args)},
        format="json",
    )
    assert response.status_code == 201, response.json()
    task = wait_finished(response.json()["task"]["id"])
    assert task.status == Status.SUCCESS, logs.read(task.pk).text
    return json.loads(logs.read(task.pk).text)


@pytest.mark.parametrize(
    ("target", "args", "expected_target", "expected_extra"),
    [
        ("--token=evil", [], "--token=evil", []),
        ("--tok=evil", [], "--tok=evil", []),  # argparse's abbreviations too
        ("x", ["--token=evil"], "x", ["--token=evil"]),
        ("x", ["--token", "evil"], "x", ["--token", "evil"]),
        ("x", ["--admin"], "x", ["--admin"]),
        ("-h", [], "-h", []),
        ("x", ["--", "--admin"], "x", ["--admin"]),
    ],
)
def test_a_free_value_cannot_set_a_typed_option_or_a_flag(
    inline, api, target, args, expected_target, expected_extra
):
    result = parsed(api, "typed", target, args)
    # Whether argparse keeps a second "--" as a value depends on the Python version.
    result["extra"] = [arg for arg in result["extra"] if arg != "--"]
    assert result == {
        "token": "t",
        "admin": False,
        "target": expected_target,
        "extra": expected_extra,
    }


def test_ordinary_values_reach_the_script_as_before(inline, api):
    assert parsed(api, "typed", "x", ["y", "-"]) == {
        "token": "t",
        "admin": False,
        "target": "x",
        "extra": ["y", "-"],
    }


@pytest.mark.parametrize(
    ("target", "args", "field"),
    [("--token=evil", [], "params.target"), ("x", ["--admin"], "args")],
)
def test_where_the_script_cannot_take_a_double_dash_an_option_like_value_is_refused(
    inline, api, target, args, field
):
    response = api.post(
        "/api/execute",
        {"script_type": "typed_no_dash", "params": {"token": "t", "target": target}, "args": args},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert "looks like an option" in body["errors"][field]
    assert "cannot take '--'" in body["errors"][field]
    assert Task.objects.count() == 0
