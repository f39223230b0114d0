"""GET /tasks/<id>/events: a run's log and state as Server-Sent Events."""

import threading

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test import AsyncClient

from tasks import services
from tasks.models import ScopedToken, Status, Task
from tasks.tests.factories import log_text, make_task, parse_sse
from tasks.tests.helpers import wait_finished, wait_for

LOG = [("out", b"one\n"), ("err", b"two\n"), ("out", b"three\n")]


def stream(client, task, **headers):
    response = client.get(f"/tasks/{task.pk}/events/", **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream; charset=utf-8"
    return parse_sse(b"".join(response.streaming_content))


@pytest.mark.django_db
def test_a_finished_run_streams_its_log_its_state_then_ends(client, user):
    task = make_task(user, log=LOG)
    client.force_login(user)
    events = stream(client, task)
    assert [name for name, _, _ in events] == ["log", "state", "end"]
    _, event_id, data = events[0]
    assert event_id == data["next_offset"] == len(b"one\ntwo\nthree\n")
    assert data["parts"] == [["out", "one\n"], ["err", "two\n"], ["out", "three\n"]]
    assert events[1][2]["status"] == "success"
    assert events[2][1] == event_id


@pytest.mark.django_db
def test_last_event_id_resumes_exactly_where_the_viewer_stopped(client, user):
    task = make_task(user, log=LOG)
    client.force_login(user)
    events = stream(client, task, HTTP_LAST_EVENT_ID="4")
    assert events[0][2]["offset"] == 4
    assert log_text(events) == "two\nthree\n"
    # The header wins over the offset in the URL (the browser keeps the first URL).
    response = client.get(f"/tasks/{task.pk}/events/?offset=0", HTTP_LAST_EVENT_ID="8")
    assert log_text(parse_sse(b"".join(response.streaming_content))) == "three\n"


@pytest.mark.django_db
def test_a_tail_starts_on_a_whole_line(client, user):
    task = make_task(user, log=[("out", b"first line\nsecond line\nthird\n")])
    client.force_login(user)
    response = client.get(f"/tasks/{task.pk}/events/?tail=10")
    events = parse_sse(b"".join(response.streaming_content))
    assert log_text(events) == "third\n"
    assert events[0][2]["offset"] == len(b"first line\nsecond line\n")


COLOURED = [("out", b"\x1b[1;32mgreen from here\n"), ("err", b"oops\n"), ("out", b"still green\n")]


@pytest.mark.django_db
def test_a_page_starting_at_the_tail_is_told_the_colours_in_force_there(client, user):
    task = make_task(user, log=COLOURED)
    client.force_login(user)
    events = stream(client, task, QUERY_STRING="tail=12&lines=1")
    name, event_id, styles = events[0]
    assert (name, styles) == ("styles", {"out": "1;32", "err": ""})
    assert event_id == events[1][2]["offset"]  # before the log from there
    assert events[1][2]["parts"][0][1] == "still green\n"
    polled = client.get(f"/tasks/{task.pk}/poll/?tail=12&lines=1").json()
    assert polled["styles"] == {"out": "1;32", "err": ""}
    # A reconnect, a given offset, or the API's plain parts: no colours event.
    resumed = stream(client, task, QUERY_STRING="tail=12&lines=1", HTTP_LAST_EVENT_ID="4")
    assert "styles" not in [name for name, _, _ in resumed]
    assert "styles" not in client.get(f"/tasks/{task.pk}/poll/?offset=4&lines=1").json()
    assert "styles" not in [name for name, _, _ in stream(client, task, QUERY_STRING="tail=12")]


@pytest.mark.django_db
def test_a_gap_left_by_the_log_cap_arrives_as_a_marker(client, user):
    task = make_task(user, log=[("out", b"head\n")])
    task.chunks.create(offset=1000, stream="out", data=b"tail\n")
    Task.objects.filter(pk=task.pk).update(log_bytes=1005, log_dropped_bytes=995)
    client.force_login(user)
    parts = stream(client, task)[0][2]["parts"]
    assert [stream for stream, _ in parts] == ["out", "gap", "out"]
    assert "995 bytes" in parts[1][1]


@pytest.mark.django_db
def test_a_bad_last_event_id_is_refused(client, user):
    task = make_task(user, log=LOG)
    client.force_login(user)
    response = client.get(f"/tasks/{task.pk}/events/", HTTP_LAST_EVENT_ID="abc")
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "offset: must be a whole number, got 'abc'.",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["events", "poll"])
@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("offset=abc", "offset: must be a whole number, got 'abc'."),
        ("offset=-5", "offset: must be 0 or more, got -5."),
        ("offset=1.5", "offset: must be a whole number, got '1.5'."),
        ("tail=-1", "tail: must be 0 or more, got -1."),
        ("tail=lots", "tail: must be a whole number, got 'lots'."),
    ],
)
def test_a_bad_offset_from_a_token_client_is_a_json_400_in_the_envelope(
    user, client, view, query, error
):
    task = make_task(user, log=LOG)
    _, key = ScopedToken.issue(user, "follow", read_only=True)
    response = client.get(
        f"/tasks/{task.pk}/{view}/?{query}",
        HTTP_AUTHORIZATION=f"Token {key}",
        HTTP_ACCEPT="text/event-stream",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"success": False, "error": error}


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client, user):
    task = make_task(user, log=LOG)
    response = client.get(f"/tasks/{task.pk}/events/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_another_users_run_is_not_found(client, user, other_user):
    task = make_task(other_user, log=LOG)
    client.force_login(user)
    assert client.get(f"/tasks/{task.pk}/events/").status_code == 404


def test_a_live_run_arrives_whole_in_order_and_ends_after_its_last_line(client, user, engine):
    client.force_login(user)
    task = services.execute(user, "lines", {"count": 200, "delay": 0.002})
    events = stream(client, task)
    final = wait_finished(task.pk)
    assert final.status == Status.SUCCESS
    text = log_text(events)
    assert text == "".join(f"[{n}/200] line {n}\n" for n in range(1, 201))
    offsets = [data["offset"] for name, _, data in events if name == "log"]
    assert offsets == sorted(set(offsets))  # nothing sent twice
    statuses = [data["status"] for name, _, data in events if name == "state"]
    assert statuses[-1] == "success"
    assert events[-1][0] == "end"


def test_viewers_under_asgi_get_the_same_stream(user, engine):
    task = services.execute(user, "lines", {"count": 50, "delay": 0.002})
    client = AsyncClient()

    async def read():
        await client.aforce_login(user)
        response = await client.get(f"/tasks/{task.pk}/events/")
        assert response.is_async
        return b"".join([chunk async for chunk in response.streaming_content])

    events = parse_sse(async_to_sync(read)())
    assert log_text(events) == "".join(f"[{n}/50] line {n}\n" for n in range(1, 51))
    assert events[-1][0] == "end"


def test_a_viewer_waiting_on_a_quiet_run_is_woken_by_its_output(client, user, engine, pidfile):
    """The stream waits between writes, and the next write wakes it: the events arrive
    while the run is still going."""
    client.force_login(user)
    task = services.execute(user, "sleeper", {"pidfile": str(pidfile)})
    wait_for(lambda: Task.objects.get(pk=task.pk).status == Status.RUNNING)
    response = client.get(f"/tasks/{task.pk}/events/")
    received = []

    def read():
        try:
            for chunk in response.streaming_content:
                received.append(chunk)
        finally:
            # The stream read the database from this thread: its connection is this
            # thread's to close (PostgreSQL would keep the session open otherwise).
            connection.close()

    reader = threading.Thread(target=read)
    reader.start()
    wait_for(lambda: b"sleeping" in b"".join(received), message="the first line")
    assert Task.objects.get(pk=task.pk).status == Status.RUNNING
    services.cancel(user, Task.objects.get(pk=task.pk))
    reader.join(30)
    assert not reader.is_alive()
    events = parse_sse(b"".join(received))
    assert events[-1][0] == "end"
    assert events[-1][2]["status"] == "cancelled"


@pytest.mark.django_db
def test_a_viewer_who_sees_every_run_gets_anothers_stream(client, staff, user):
    task = make_task(user, log=LOG)
    client.force_login(staff)
    assert log_text(stream(client, task)) == "one\ntwo\nthree\n"
