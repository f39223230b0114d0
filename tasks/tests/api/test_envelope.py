"""Every error the API can give a client: a 4xx with {"success": false, "error": "..."}."""

import json

import pytest

from tasks.models import Task

pytestmark = pytest.mark.django_db


def assert_error(response, status, fragment):
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert body["success"] is False
    assert fragment in body["error"], body["error"]


def post(client, data, content_type="application/json"):
    body = data if isinstance(data, (str, bytes)) else json.dumps(data)
    return client.post("/api/execute", body, content_type=content_type)


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ("{not json", 400, "JSON parse error"),
        ("", 400, "script_type: This field is required"),
        ("[1, 2]", 400, "Expected a dictionary"),
        ('{"script_type": NaN}', 400, "JSON parse error - NaN is not valid JSON"),
        ({}, 400, "script_type: This field is required"),
        ({"script_type": None}, 400, "script_type: This field may not be null"),
        ({"script_type": 5, "args": "a"}, 400, "args: Must be a list of strings"),
        ({"script_type": "echo", "params": [1]}, 400, "params: Must be an object"),
        ({"script_type": "nope"}, 400, "Unknown script 'nope'. Scripts you can run:"),
        ({"script_type": "../../etc/passwd"}, 400, "Unknown script"),
        (
            {"script_type": "echo", "params": {"count": "many"}},
            400,
            "params.count: must be a whole number",
        ),
        ({"script_type": "echo", "args": [1]}, 400, "args: argument 1 must be a string"),
        ({"script_type": "fail", "args": ["x"]}, 400, "'fail' takes no free arguments"),
        ({"script_type": "secret_club"}, 400, "Unknown script 'secret_club'"),
        ({"script_type": "a" * 101}, 400, "script_type: Ensure this field has no more than 100"),
    ],
)
def test_bad_execute_requests_get_a_clear_400_and_run_nothing(api, body, status, fragment):
    assert_error(post(api, body), status, fragment)
    assert Task.objects.count() == 0


def test_a_form_encoded_body_is_an_unsupported_media_type(api):
    assert_error(
        post(api, "script_type=echo", "application/x-www-form-urlencoded"),
        415,
        "Unsupported media type",
    )


def test_a_body_over_the_limit_is_refused_before_parsing(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    assert_error(post(api, {"script_type": "echo", "args": ["x" * 2000]}), 413, "larger than 1 KiB")


def test_deeply_nested_json_is_refused(api):
    assert_error(post(api, "[" * 10_000 + "]" * 10_000), 400, "nested deeper than")


def test_a_body_that_is_not_utf8_is_refused(api):
    assert_error(post(api, b'{"script_type": "\xff"}'), 400, "not valid utf-8")


def test_a_lone_surrogate_is_refused_and_the_error_still_renders(api):
    response = post(api, '{"script_type": "echo", "args": ["\\ud800"]}')
    assert_error(response, 400, "no lone surrogates")


def test_unknown_urls_under_the_api_are_json_404s(api):
    assert_error(api.get("/api/nothing/here"), 404, "No API endpoint at /api/nothing/here")
    assert_error(api.get("/api/tasks/abc/nothing"), 404, "No API endpoint")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/execute"),
        ("delete", "/api/tasks"),
        ("put", "/api/tasks/00000000-0000-0000-0000-000000000000"),
        ("get", "/api/tasks/00000000-0000-0000-0000-000000000000/cancel"),
        ("post", "/api/health"),
        ("post", "/api/scripts"),
    ],
)
def test_a_wrong_method_is_a_405(api, method, url):
    response = getattr(api, method)(url)
    assert_error(response, 405, "not allowed")


def test_signed_out_requests_are_refused_with_a_hint(anonymous):
    for url in ("/api/tasks", "/api/scripts", "/api/tasks/00000000-0000-0000-0000-000000000000"):
        assert_error(anonymous.get(url), 401, "Authentication required")
    assert_error(anonymous.post("/api/execute", {}, format="json"), 401, "Authorization: Token")


def test_a_bad_token_is_refused(anonymous):
    anonymous.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error(anonymous.get("/api/tasks"), 401, "Invalid token")


def test_session_clients_need_the_csrf_token(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/execute", {"script_type": "echo"}, content_type="application/json")
    assert_error(response, 403, "CSRF Failed")


def test_a_broken_catalog_is_a_clear_503_not_a_crash(api, settings, tmp_path):
    (tmp_path / "catalog.toml").write_text("this is [not toml")
    settings.EXECUTOR_SCRIPTS = str(tmp_path / "catalog.toml")
    assert_error(post(api, {"script_type": "echo"}), 503, "The script catalog cannot be loaded")
    assert_error(api.get("/api/scripts"), 503, "cannot be loaded")


def test_a_full_queue_is_refused(api, settings, recorded):
    settings.EXECUTOR_MAX_PENDING = 1
    assert post(api, {"script_type": "echo"}).status_code == 201
    assert_error(post(api, {"script_type": "echo"}), 503, "1 runs are already waiting")
