"""The OpenAPI schema describes what the API really answers (schemathesis, bounded).

Every operation gets generated requests (valid ones, and for ids both real runs or
schedules and random ones; for a schedule's create or change also a body that works);
every response must be no 5xx, carry a documented status and content type, and match the
documented body. Hypothesis is derandomized, so a run is repeatable.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tasks import services
from tasks.services import schedules
from tasks.tests.conftest import token_client

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 20  # per operation: the whole file stays well under a minute (-n0)
GOOD_SCHEDULE = {"script": "echo", "kind": "cron", "cron": "30 7 * * 1-5", "timezone": "UTC"}

OPERATIONS = [
    ("POST", "/api/execute/"),
    ("GET", "/api/health"),
    ("GET", "/api/scripts/"),
    ("GET", "/api/tasks/"),
    ("GET", "/api/tasks/{id}/"),
    ("POST", "/api/tasks/{id}/cancel/"),
    ("GET", "/api/tasks/{id}/logs/"),
    ("GET", "/api/tasks/{id}/logs/download/"),
    ("GET", "/api/tasks/{id}/artifacts/"),
    ("GET", "/api/tasks/{id}/artifacts/{artifact_id}/"),
    ("POST", "/api/tasks/{id}/rerun/"),
    ("POST", "/api/tasks/{id}/keep/"),
    ("GET", "/tasks/{id}/events/"),
    ("GET", "/tasks/{id}/poll/"),
    ("GET", "/api/schedules/"),
    ("POST", "/api/schedules/"),
    ("GET", "/api/schedules/{id}/"),
    ("PUT", "/api/schedules/{id}/"),
    ("PATCH", "/api/schedules/{id}/"),
    ("DELETE", "/api/schedules/{id}/"),
    ("POST", "/api/schedules/{id}/pause/"),
    ("POST", "/api/schedules/{id}/resume/"),
    ("POST", "/api/schedules/{id}/run-now/"),
]
# Every operation of the schema is in the run (the first test checks it). Not in the
# schema, so not here: /api/schema/ and /api/docs/ (the schema itself, which
# drf-spectacular leaves out), /api/health/ (the same view as /api/health), the JSON 404
# for any other URL under /api/ (tasks.api.meta_views.NotFoundView), and the inbound
# webhooks under /hooks/ (signed by a hook's own secret, documented in the README).

# Bodies these writes are also tried with: random ones are all refused (400), and the
# answer to one that works must match the schema too.
GOOD_BODIES = {
    ("POST", "/api/execute/"): {"script_type": "echo", "params": {"greeting": "hi"}},
    ("POST", "/api/schedules/"): GOOD_SCHEDULE,
    ("PUT", "/api/schedules/{id}/"): GOOD_SCHEDULE,
    ("PATCH", "/api/schedules/{id}/"): {"cron": "@daily"},
}


@pytest.fixture
def wsgi_app():
    """Django's WSGI application, called in the test's thread and transaction. As
    Django's own test client does, keep request signals from closing the connection
    that holds the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def headers(user):
    token, _ = Token.objects.get_or_create(user=user)
    return {"Authorization": f"Token {token.key}"}


@pytest.fixture
def api_schema(wsgi_app, headers):
    return schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app, headers=headers)


@pytest.fixture
def run_ids(user, other_user, settings, django_capture_on_commit_callbacks):
    """Real runs to aim at: one of alice's that ran to its end, one of bob's pending."""
    settings.EXECUTOR_BACKEND = "inline"
    with django_capture_on_commit_callbacks(execute=True):
        finished = services.execute(user, "lines", {"count": 3}, [])
    settings.EXECUTOR_BACKEND = "record"  # what schemathesis starts is only recorded
    return [str(finished.pk), str(services.execute(other_user, "fail", {}, []).pk)]


@pytest.fixture
def schedule_ids(user, other_user):
    """Real schedules to aim at: one of alice's (a one-off whose time has come and gone
    would not save, so a paused cron), one of bob's."""
    mine = schedules.create(user, {**GOOD_SCHEDULE, "paused": True})
    theirs = schedules.create(other_user, {**GOOD_SCHEDULE, "script": "lines"})
    return [str(mine.pk), str(theirs.pk)]


def test_the_schema_lists_exactly_the_operations_tested_here(api_schema):
    found = {
        (result.ok().method.upper(), result.ok().path) for result in api_schema.get_all_operations()
    }
    assert found == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_response_is_documented_and_matches_the_schema(
    api_schema, headers, run_ids, schedule_ids, method, path
):
    operation = api_schema[path][method]
    cases = operation.as_strategy()
    if "{id}" in path:
        ids = schedule_ids if path.startswith("/api/schedules/") else run_ids
        cases = st.one_of(cases, st.tuples(cases, st.sampled_from(ids)).map(_aim_at))
    if (method, path) in GOOD_BODIES:
        cases = st.one_of(cases, cases.map(_with_body(GOOD_BODIES[method, path])))

    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()


def _aim_at(pair):
    case, real_id = pair
    case.path_parameters = {**case.path_parameters, "id": real_id}
    return case


def _with_body(body):
    def with_body(case):
        case.body = dict(body)
        case.media_type = "application/json"
        return case

    return with_body


def test_the_schema_needs_a_signed_in_user_or_a_token(anonymous, user):
    assert anonymous.get("/api/schema/").status_code == 401
    assert token_client(user).get("/api/schema/").status_code == 200


def test_the_schema_describes_execute_as_json_or_as_a_multipart_upload(api):
    operation = api.get("/api/schema/").json()["paths"]["/api/execute/"]["post"]
    content = operation["requestBody"]["content"]
    assert set(content) == {"application/json", "multipart/form-data"}
    assert "413" in operation["responses"]
