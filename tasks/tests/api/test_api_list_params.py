"""The list's query parameters: the schema says what the server accepts, and a value the
server would not use is a 400, not silently replaced."""

import pytest

from tasks.api.filtersets import TaskFilterSet
from tasks.history.filters import ORDERINGS
from tasks.models import Status, Trigger
from tasks.tests.factories import make_task


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["0", "501", "-3", "ten", "1.5", "9" * 50])
def test_a_page_size_out_of_range_or_not_a_number_is_a_400(api, value):
    response = api.get(f"/api/tasks?page_size={value}")
    assert response.status_code == 400
    assert response.json()["error"] == (
        f"page_size: must be a whole number from 1 to 500, got {value[:40]!r}."
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("value", "shown"), [("1", 1), ("500", 3), ("", 3)])
def test_a_page_size_in_range_is_used(api, user, value, shown):
    for _ in range(3):
        make_task(user)
    assert len(api.get(f"/api/tasks?page_size={value}").json()["tasks"]) == shown


@pytest.mark.django_db
def test_the_schema_states_the_enums_and_bounds(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/tasks/"]["get"]["parameters"]}
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 500}
    assert parameters["page"]["schema"]["minimum"] == 1
    assert set(parameters["status"]["schema"]["items"]["enum"]) == set(Status.values)
    assert parameters["status"]["explode"] is False
    assert set(parameters["trigger"]["schema"]["items"]["enum"]) == set(Trigger.values)
    orderings = parameters["ordering"]["schema"]["enum"]
    assert set(orderings) == set(ORDERINGS) | {f"-{name}" for name in ORDERINGS}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=failed,bogus", "status: unknown value 'bogus'; use one of pending, running"),
        ("trigger=cron", "trigger: unknown value 'cron'; use one of manual"),
        ("ordering=-secret", "ordering: unknown field '-secret'"),
        ("q=" + "x" * 201, "q: Ensure this value has at most 200 characters (it has 201)."),
    ],
)
def test_the_filterset_refuses_values_outside_what_the_schema_states(api, query, message):
    response = api.get(f"/api/tasks?{query}")
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)


@pytest.mark.django_db
def test_every_declared_parameter_is_in_the_schema_with_its_help(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/tasks/"]["get"]["parameters"]}
    for name, declared in TaskFilterSet.base_filters.items():
        assert parameters[name]["description"].startswith(declared.extra["help_text"])
