"""Malformed and hostile requests against every endpoint: each gets a 4xx JSON error
with a clear message, none a 5xx, and nothing runs that should not."""

import json
from dataclasses import dataclass

import pytest

from tasks.models import Task
from tasks.tests import factories
from tasks.tests.helpers import wait_finished

pytestmark = pytest.mark.django_db

MISSING = "00000000-0000-4000-8000-000000000000"


@dataclass
class Bad:
    name: str
    method: str
    path: str  # "{run}" stands for a real run of alice's (finished, with a log)
    body: object = None  # bytes as they are; anything else is sent as JSON
    content_type: str = "application/json"
    expect: int = 400
    headers: dict = None

    def raw(self):
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


def execute(name, body, expect=400, **kwargs):
    return Bad(name, "POST", "/api/execute", body, expect=expect, **kwargs)


def params(name, values, expect=400):
    return execute(name, {"script_type": "echo", "params": values}, expect)


def nested(depth):
    return ("[" * depth + "]" * depth).encode()


CASES = [
    # Bodies that are not JSON, or not the JSON we take.
    execute("invalid JSON", b'{"script_type": '),
    execute("trailing garbage", b'{"script_type": "echo"} x'),
    execute("a JSON list", []),
    execute("a JSON string", "echo"),
    execute("JSON null", b"null"),
    execute("a JSON number", 12),
    execute("NaN", b'{"script_type": "echo", "params": {"ratio": NaN}}'),
    execute("Infinity", b'{"script_type": "echo", "params": {"ratio": Infinity}}'),
    execute("invalid UTF-8", b'{"script_type": "\xff\xfe"}'),
    execute(
        "a declared charset that is wrong",
        b'{"a": 1}',
        content_type="application/json; charset=utf-16",
    ),
    execute("an unknown charset", b"{}", content_type="application/json; charset=no-such-thing"),
    execute("deeply nested JSON", nested(5000)),
    execute(
        "nested just past the limit", b'{"script_type": "echo", "params": ' + nested(40) + b"}"
    ),
    execute(
        "form-encoded",
        b"script_type=echo",
        content_type="application/x-www-form-urlencoded",
        expect=415,
    ),
    # Multipart is how files are sent (test_views_execute_uploads.py): an empty form lacks
    # the script.
    execute("multipart", b"--x--", content_type="multipart/form-data; boundary=x", expect=400),
    execute("plain text", b"echo", content_type="text/plain", expect=415),
    execute("XML", b"<execute/>", content_type="application/xml", expect=415),
    execute("no content type", b"{}", content_type="", expect=415),
    execute("a huge body", {"script_type": "echo", "args": ["x" * 300_000]}, expect=413),
    execute(
        "a megabyte string",
        {"script_type": "echo", "params": {"greeting": "y" * 1_048_576}},
        expect=413,
    ),
    # Wrong types and nulls.
    execute("no script", {}),
    execute("script null", {"script_type": None}),
    execute("script a number", {"script_type": 12}),
    execute("script a list", {"script_type": ["echo"]}),
    execute("script an object", {"script_type": {"name": "echo"}}),
    execute("script a boolean", {"script_type": True}),
    execute("script too long", {"script_type": "e" * 101}),
    execute("args a string", {"script_type": "echo", "args": "a b"}),
    execute("args an object", {"script_type": "echo", "args": {"a": 1}}),
    execute("args null", {"script_type": "echo", "args": None}),
    execute("args of numbers", {"script_type": "echo", "args": [1, 2]}),
    execute("args holding null", {"script_type": "echo", "args": [None]}),
    execute("args nested", {"script_type": "echo", "args": [["a"]]}),
    execute("10,000 arguments", {"script_type": "echo", "args": ["a"] * 10_000}),
    execute("an argument too long", {"script_type": "echo", "args": ["z" * 5000]}),
    execute("args to a script that takes none", {"script_type": "lines", "args": ["a"]}),
    execute("params a list", {"script_type": "echo", "params": [1]}),
    execute("params a string", {"script_type": "echo", "params": "count=3"}),
    execute("user_name too long", {"script_type": "echo", "user_name": "u" * 2000}),
    params("an unknown parameter", {"nope": 1}),
    params("an integer as text", {"count": "3"}),
    params("a fraction for an integer", {"count": 3.5}),
    params("a boolean for an integer", {"count": True}),
    params("a huge integer", {"count": 10**30}),
    params("a negative integer below min", {"count": -1}),
    params("a float too big", {"count": 1e308}),
    params("a number as text", {"ratio": "0.5"}),
    params("an unknown choice", {"color": "blue"}),
    params("a multichoice as text", {"tags": "a"}),
    params("an unknown multichoice", {"tags": ["z"]}),
    params("a string not matching its pattern", {"mood": "sunny; rm -rf /"}),
    params("a string too long", {"greeting": "g" * 101}),
    params("a boolean as text", {"loud": "yes"}),
    params("a string as an object", {"greeting": {"a": 1}}),
    # NUL bytes and lone surrogates.
    execute("NUL in an argument", {"script_type": "echo", "args": ["a\x00b"]}),
    execute("NUL in the script", {"script_type": "ec\x00ho"}),
    params("NUL in a parameter", {"greeting": "hi\x00"}),
    execute("a lone surrogate in an argument", b'{"script_type": "echo", "args": ["\\ud800"]}'),
    execute("a lone surrogate in the script", b'{"script_type": "\\udc00"}'),
    execute(
        "a lone surrogate in a parameter",
        b'{"script_type": "echo", "params": {"greeting": "\\ud83d"}}',
    ),
    # Scripts that are not in the catalog, however they are spelt.
    execute("path traversal", {"script_type": "../../../etc/passwd"}),
    execute("an absolute path", {"script_type": "/bin/sh"}),
    execute("a script path", {"script_type": "echo.py"}),
    execute("shell syntax in the script", {"script_type": "echo; rm -rf /"}),
    execute("a command substitution", {"script_type": "$(id)"}),
    execute("a script of a group", {"script_type": "secret_club"}),
    # Wrong methods.
    Bad("GET execute", "GET", "/api/execute", expect=405),
    Bad("PUT execute", "PUT", "/api/execute", {}, expect=405),
    Bad("DELETE execute", "DELETE", "/api/execute", expect=405),
    Bad("POST the list", "POST", "/api/tasks", {}, expect=405),
    Bad("DELETE a run", "DELETE", "/api/tasks/{run}", expect=405),
    Bad("PUT a run", "PUT", "/api/tasks/{run}", {"status": "success"}, expect=405),
    Bad("PATCH a run", "PATCH", "/api/tasks/{run}", {"status": "success"}, expect=405),
    Bad("GET cancel", "GET", "/api/tasks/{run}/cancel", expect=405),
    Bad("GET rerun", "GET", "/api/tasks/{run}/rerun", expect=405),
    Bad("POST logs", "POST", "/api/tasks/{run}/logs", expect=405),
    Bad("POST download", "POST", "/api/tasks/{run}/logs/download", expect=405),
    Bad("POST scripts", "POST", "/api/scripts", {}, expect=405),
    Bad("POST health", "POST", "/api/health", {}, expect=405),
    # History filters.
    Bad("an unknown status", "GET", "/api/tasks?status=bogus"),
    Bad("NUL in a status", "GET", "/api/tasks?status=pending,%00"),
    Bad("an unknown ordering", "GET", "/api/tasks?ordering=password"),
    Bad("a date that is not one", "GET", "/api/tasks?created_after=yesterday"),
    Bad("an impossible date", "GET", "/api/tasks?created_before=2026-13-45"),
    Bad("an impossible time", "GET", "/api/tasks?created_after=2026-11-29T25:61"),
    Bad("a search too long", "GET", "/api/tasks?q=" + "s" * 300),
    Bad("NUL in the search", "GET", "/api/tasks?q=a%00b"),
    Bad("NUL in a user filter", "GET", "/api/tasks?user=%00"),
    Bad("NUL in a script filter", "GET", "/api/tasks?script=ec%00ho"),
    Bad("NUL in a date", "GET", "/api/tasks?created_after=2026%00"),
    Bad("page zero", "GET", "/api/tasks?page=0", expect=404),
    Bad("a page that is not a number", "GET", "/api/tasks?page=abc", expect=404),
    Bad("a page past the end", "GET", "/api/tasks?page=99999", expect=404),
    # Unknown ids.
    Bad("an id that is not a uuid", "GET", "/api/tasks/not-a-uuid", expect=404),
    Bad("an unknown id", "GET", f"/api/tasks/{MISSING}", expect=404),
    Bad("NUL in an id", "GET", "/api/tasks/%00", expect=404),
    Bad("traversal in an id", "GET", "/api/tasks/..%2F..%2Fetc%2Fpasswd", expect=404),
    Bad("a very long id", "GET", "/api/tasks/" + "f" * 5000, expect=404),
    Bad("cancel an unknown run", "POST", f"/api/tasks/{MISSING}/cancel", expect=404),
    Bad("re-run an unknown run", "POST", f"/api/tasks/{MISSING}/rerun", expect=404),
    Bad("logs of an unknown run", "GET", f"/api/tasks/{MISSING}/logs", expect=404),
    Bad("download an unknown run", "GET", f"/api/tasks/{MISSING}/logs/download", expect=404),
    Bad("cancel a run that has ended", "POST", "/api/tasks/{run}/cancel", expect=409),
    # Log offsets and limits.
    Bad("a negative offset", "GET", "/api/tasks/{run}/logs?offset=-1"),
    Bad("an offset that is not a number", "GET", "/api/tasks/{run}/logs?offset=abc"),
    Bad("an offset in exponent form", "GET", "/api/tasks/{run}/logs?offset=1e3"),
    Bad("an empty offset", "GET", "/api/tasks/{run}/logs?offset="),
    Bad("NUL in an offset", "GET", "/api/tasks/{run}/logs?offset=%00"),
    Bad("an offset past the end", "GET", "/api/tasks/{run}/logs?offset=999999"),
    Bad("a huge offset", "GET", "/api/tasks/{run}/logs?offset=" + "9" * 40),
    Bad("a zero limit", "GET", "/api/tasks/{run}/logs?offset=0&limit=0"),
    Bad("a negative limit", "GET", "/api/tasks/{run}/logs?offset=0&limit=-5"),
    Bad("a limit that is not a number", "GET", "/api/tasks/{run}/logs?offset=0&limit=lots"),
    Bad("a huge limit", "GET", "/api/tasks/{run}/logs?offset=0&limit=" + "9" * 30),
    # Unknown URLs and unacceptable answers.
    Bad("an unknown endpoint", "GET", "/api/nope", expect=404),
    Bad("POST to an unknown endpoint", "POST", "/api/nope", {}, expect=404),
    Bad("below a run", "GET", "/api/tasks/{run}/nope", expect=404),
    Bad("traversal in the path", "GET", "/api/../../etc/passwd", expect=404),
    Bad("XML wanted", "GET", "/api/tasks", expect=406, headers={"HTTP_ACCEPT": "application/xml"}),
]


@pytest.fixture
def finished_run(user):
    """A run of `lines` that ended through the real verb, with its log (a row, not a
    spawned script: sixty cases need a run to aim at, not sixty runs)."""
    task = factories.finished_run(user, "lines", params={"count": 2})
    factories.write_log(task, [("out", b"[1/2] line 1\n[2/2] line 2\n")])
    return task


def test_there_are_at_least_sixty_cases():
    assert len(CASES) >= 60
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_bad_request_gets_a_clear_json_error(api, finished_run, case):
    before = Task.objects.count()
    response = api.generic(
        case.method,
        case.path.replace("{run}", str(finished_run.pk)),
        case.raw(),
        content_type=case.content_type,
        **(case.headers or {}),
    )
    assert response.status_code == case.expect, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert body["success"] is False
    assert isinstance(body["error"], str)
    assert body["error"].strip()
    assert Task.objects.count() == before


def test_shell_metacharacters_reach_the_script_literally(
    api, settings, django_capture_on_commit_callbacks
):
    settings.EXECUTOR_BACKEND = "inline"
    hostile = ["$(touch /tmp/pwned)", "; rm -rf /", "`id`", "a && b", "|", "*", "'\"", "\n", "~"]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/execute",
            {
                "script_type": "echo",
                "args": hostile,
                "params": {"greeting": "$HOME; `id` && echo > /tmp/x", "mood": "calm"},
            },
            format="json",
        )
    assert response.status_code == 201
    task = wait_finished(response.json()["task"]["id"])
    printed = json.loads(api.get(f"/api/tasks/{task.pk}/logs").json()["logs"])
    assert printed["argv"] == ["--greeting=$HOME; `id` && echo > /tmp/x", *hostile]
