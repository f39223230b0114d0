"""The Schedules pages: the list says each timetable in words with its next firings, last
run and skips; the form saves through the service (values survive a failed submit, every
field's message at once); the check endpoint answers as a submit would; the buttons do
what they say, for the owner and staff only."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tasks.models import AuditEvent, Firing, FiringOutcome, Schedule, Status, Task
from tasks.services import schedules
from tasks.tests.factories import make_task

WEEKDAYS = {"script": "echo", "kind": "cron", "cron": "30 7 * * 1-5", "timezone": "Europe/Berlin"}
FORM = {
    "script": "echo",
    "name": "morning report",
    "kind": "cron",
    "cron": "30 7 * * 1-5",
    "interval_value": "",
    "interval_unit": "minutes",
    "run_at": "",
    "timezone": "Europe/Berlin",
    "overlap": "skip",
    "missed": "run_once",
    "param_greeting": "hi",
    "param_count": "3",
    "param_tags": ["a", "c"],
}


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_the_list_says_the_timetable_next_firings_last_run_and_skips(signed_in, user):
    schedule = schedules.create(user, {**WEEKDAYS, "name": "weekday report"})
    run = make_task(user, status=Status.FAILED)
    run.schedule = schedule
    run.save()
    now = timezone.now()
    Firing.objects.create(schedule=schedule, due_at=now - timedelta(minutes=9), outcome="run")
    for minutes in (3, 2, 1):
        Firing.objects.create(
            schedule=schedule,
            due_at=now - timedelta(minutes=minutes),
            outcome=FiringOutcome.SKIPPED,
            reason=f"the previous run {run.short_id} is still going",
        )
    page = signed_in.get("/schedules/").content.decode()
    assert "At 07:30, Monday through Friday (Europe/Berlin)" in page
    assert page.count("07:30:00 CET") == 5  # the next five, in the schedule's zone
    assert run.short_id in page
    assert "Failed" in page
    assert "skipped 3 times: still running" in page
    for button in ("Pause", "Run now", "Edit", "Delete"):
        assert button in page


def test_others_see_nothing_and_staff_see_all(client, user, other_user, staff):
    schedule = schedules.create(user, WEEKDAYS)
    client.force_login(other_user)
    assert "echo" not in client.get("/schedules/").content.decode()
    assert client.post(f"/schedules/{schedule.pk}/pause/").status_code == 404
    assert client.get(f"/schedules/{schedule.pk}/edit/").status_code == 404
    assert client.post(f"/schedules/{schedule.pk}/delete/").status_code == 404
    assert not Schedule.objects.get().paused
    client.force_login(staff)
    assert client.post(f"/schedules/{schedule.pk}/pause/").status_code == 302
    assert Schedule.objects.get().paused


def test_the_form_saves_a_schedule_through_the_service(signed_in, user):
    response = signed_in.post("/schedules/new/", FORM)
    assert response.status_code == 302
    schedule = Schedule.objects.get()
    assert (schedule.owner, schedule.name, schedule.cron) == (user, "morning report", FORM["cron"])
    assert schedule.params == {"greeting": "hi", "count": 3, "tags": ["a", "c"], "loud": False}
    assert AuditEvent.objects.filter(action="schedule_create").count() == 1


def test_an_interval_in_minutes_and_a_one_off_in_its_own_zone(signed_in):
    signed_in.post("/schedules/new/", {**FORM, "kind": "interval", "interval_value": "5"})
    assert Schedule.objects.get().interval_seconds == 300
    Schedule.objects.all().delete()
    signed_in.post("/schedules/new/", {**FORM, "kind": "once", "run_at": "2031-07-01T09:15"})
    run_at = Schedule.objects.get().run_at
    assert run_at.isoformat() == "2031-07-01T07:15:00+00:00"  # 09:15 in Berlin's summer


def test_a_failed_submit_keeps_the_values_and_says_every_error_at_once(signed_in):
    bad = {**FORM, "cron": "61 * * * *", "timezone": "Mars/Olympus", "param_count": "99"}
    response = signed_in.post("/schedules/new/", bad)
    assert response.status_code == 400
    page = response.content.decode()
    assert "is not a cron expression" in page
    assert "Unknown time zone" in page
    assert "at most 10" in page
    assert 'value="61 * * * *"' in page
    assert 'value="Mars/Olympus"' in page
    assert 'value="hi"' in page
    assert 'value="99"' in page
    assert not Schedule.objects.exists()


def test_a_secret_is_refused_beside_its_field(signed_in):
    response = signed_in.post(
        "/schedules/new/", {**FORM, "script": "secret_echo", "param_token": "t0p"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "cannot store the secret parameter" in page
    assert "t0p" not in page
    assert not Schedule.objects.exists()


def test_the_check_answers_as_a_submit_would(signed_in):
    answer = signed_in.post("/schedules/check/", FORM).json()
    assert answer["valid"] is True
    assert answer["timetable"] == "At 07:30, Monday through Friday (Europe/Berlin)"
    assert len(answer["upcoming"]) == 5
    answer = signed_in.post(
        "/schedules/check/", {**FORM, "kind": "interval", "interval_value": "0"}
    ).json()
    assert answer == {
        "valid": False,
        "errors": {"interval_value": "The interval must be at least 1 second."},
    }
    answer = signed_in.post("/schedules/check/", {**FORM, "script": "secret_club"}).json()
    assert answer["valid"] is False
    assert not Schedule.objects.exists()


def test_edit_shows_the_saved_values_and_changes_them(signed_in, user):
    schedule = schedules.create(
        user, {"script": "echo", "kind": "interval", "interval_seconds": 7200}
    )
    page = signed_in.get(f"/schedules/{schedule.pk}/edit/").content.decode()
    assert 'value="2"' in page
    assert '<option value="hours" selected>' in page
    response = signed_in.post(f"/schedules/{schedule.pk}/edit/", {**FORM, "cron": "@daily"})
    assert response.status_code == 302
    assert Schedule.objects.get().cron == "@daily"


def test_pause_resume_run_now_and_delete_after_asking(signed_in, user, recorded):
    schedule = schedules.create(user, WEEKDAYS)
    signed_in.post(f"/schedules/{schedule.pk}/pause/")
    assert Schedule.objects.get().paused
    assert "None while paused" in signed_in.get("/schedules/").content.decode()
    signed_in.post(f"/schedules/{schedule.pk}/resume/")
    assert not Schedule.objects.get().paused
    response = signed_in.post(f"/schedules/{schedule.pk}/run-now/")
    run = Task.objects.get(schedule=schedule)
    assert response["Location"] == f"/tasks/{run.pk}/"
    asked = signed_in.get(f"/schedules/{schedule.pk}/delete/")
    assert "Delete it" in asked.content.decode()
    assert Schedule.objects.exists()
    signed_in.post(f"/schedules/{schedule.pk}/delete/")
    assert not Schedule.objects.exists()


def test_a_scripts_page_and_a_runs_page_link_to_its_schedules(signed_in, user):
    page = signed_in.get("/scripts/echo/").content.decode()
    assert "/schedules/?script=echo" in page
    assert "/schedules/new/?script=echo" in page
    run = make_task(user, params={"greeting": "from a run", "count": 2})
    page = signed_in.get(f"/tasks/{run.pk}/").content.decode()
    assert f"/schedules/new/?script=echo&amp;run={run.pk}" in page
    form = signed_in.get(f"/schedules/new/?script=echo&run={run.pk}").content.decode()
    assert 'value="from a run"' in form


def test_the_nav_links_to_schedules(signed_in):
    page = signed_in.get("/schedules/").content.decode()
    assert 'href="/schedules/" aria-current="page"' in page


def test_a_stored_secret_is_never_shown_and_an_empty_field_keeps_it(signed_in, user):
    stored = {"script": "stored_secret", "kind": "cron", "cron": "@daily"}
    schedule = schedules.create(user, {**stored, "params": {"token": "tok-kept-1"}})
    page = signed_in.get(f"/schedules/{schedule.pk}/edit/").content.decode()
    assert "tok-kept-1" not in page
    assert "A value is stored (sealed)" in page
    form = {**FORM, "script": "stored_secret", "cron": "@hourly", "param_token": ""}
    for name in ("param_greeting", "param_count", "param_tags"):
        form.pop(name)
    assert signed_in.post(f"/schedules/{schedule.pk}/edit/", form).status_code == 302
    assert schedules.run_params(Schedule.objects.get()) == {"token": "tok-kept-1"}


def test_the_rows_the_list_polls_are_its_cards_alone(signed_in, user, other_user):
    mine = schedules.create(user, {**WEEKDAYS, "name": "mine"})
    schedules.create(user, {"script": "lines", "kind": "cron", "cron": "@daily", "name": "lines"})
    schedules.create(other_user, {**WEEKDAYS, "name": "not mine"})
    rows = signed_in.get("/schedules/rows/?script=echo").content.decode()
    assert rows.count('data-schedule="') == 1
    assert f'id="schedule-{mine.pk}"' in rows
    assert "<html" not in rows
    assert rows.lstrip().startswith("<li")
    before = rows.split('data-version="')[1].split('"')[0]
    run = make_task(user, status=Status.SUCCESS)
    run.schedule = mine
    run.save()
    after = signed_in.get("/schedules/rows/?script=echo").content.decode()
    assert after.split('data-version="')[1].split('"')[0] != before  # the page redraws it
    assert 'data-status="Success"' in after


def test_the_polled_list_costs_the_same_queries_for_ten_schedules_as_for_one(
    signed_in, user, django_assert_max_num_queries
):
    """The list is polled every two seconds by each open page: its last runs and skips
    are read for all schedules at once, not three queries a schedule."""
    now = timezone.now()

    def add(number):
        schedule = schedules.create(user, {**WEEKDAYS, "name": f"report {number}"})
        run = make_task(user, status=Status.SUCCESS)
        run.schedule = schedule
        run.save()
        Firing.objects.create(schedule=schedule, due_at=now, outcome="run", task=run)

    add(0)
    with CaptureQueriesContext(connection) as one:
        signed_in.get("/schedules/rows/")
    for number in range(1, 10):
        add(number)
    with django_assert_max_num_queries(len(one)):
        rows = signed_in.get("/schedules/rows/").content.decode()
    assert rows.count('data-status="Success"') == 10
