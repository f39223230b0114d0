"""The seam's rules for schedules: what a valid one is, who may create and change one."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tasks.models import AuditEvent, Schedule
from tasks.services import InvalidRequest, NotAllowed, schedules

pytestmark = pytest.mark.django_db

GOOD = {"script": "echo", "kind": "cron", "cron": "30 7 * * 1-5", "timezone": "Europe/Berlin"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cron": "not cron"}, "cron"),
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"kind": "interval", "interval_seconds": 0}, "interval_seconds"),
        ({"kind": "once", "run_at": "2001-01-01T00:00:00Z"}, "run_at"),
        ({"params": {"count": 99}}, "params.count"),
        ({"script": "secret_echo", "params": {"token": "x"}}, "params.token"),
        ({"script": "secret_club"}, "script"),
        ({"script": "nope"}, "script"),
        ({"overlap": "sometimes"}, "overlap"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(user, change, field):
    with pytest.raises(InvalidRequest) as caught:
        schedules.create(user, {**GOOD, **change})
    assert list(caught.value.errors) == [field]
    assert not Schedule.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_cron_schedule_is_due_at_its_next_time_in_its_zone(user):
    schedule = schedules.create(user, GOOD)
    local = timezone.localtime(schedule.next_fire_at, schedules.timetables.zone("Europe/Berlin"))
    assert (local.hour, local.minute, local.weekday() < 5) == (7, 30, True)
    assert schedule.name == "echo"


def test_only_the_owner_and_staff_change_a_schedule(user, other_user, staff):
    schedule = schedules.create(user, GOOD)
    with pytest.raises(NotAllowed):
        schedules.update(other_user, schedule, {"cron": "@daily"})
    with pytest.raises(NotAllowed):
        schedules.delete(other_user, schedule)
    schedules.update(staff, schedule, {"cron": "@daily"})
    assert Schedule.objects.get().cron == "@daily"
    assert list(schedules.visible(other_user)) == []
    schedules.delete(user, schedule)
    assert list(AuditEvent.objects.order_by("at").values_list("action", flat=True)) == [
        "schedule_create",
        "schedule_change",
        "schedule_delete",
    ]


def test_an_invalid_change_keeps_the_schedule_as_it_was(user):
    schedule = schedules.create(user, GOOD)
    with pytest.raises(InvalidRequest):
        schedules.update(user, schedule, {"cron": "99 * * * *"})
    assert Schedule.objects.get().cron == GOOD["cron"]


def test_list_schedules_and_one_tick_from_the_command_line(user, recorded):
    schedules.create(user, {"script": "echo", "kind": "interval", "interval_seconds": 3600})
    schedules.create(user, {**GOOD, "name": "weekday report", "paused": True})
    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    assert "echo: run" in out.getvalue()
    assert "1 firing(s)." in out.getvalue()
    out = StringIO()
    call_command("list_schedules", stdout=out)
    listing = out.getvalue()
    assert "every hour; next:" in listing
    assert "last: run at" in listing
    assert "At 07:30, Monday through Friday (Europe/Berlin); next: paused" in listing


def test_a_one_off_in_the_past_is_refused_but_an_old_one_can_be_renamed(user):
    at = timezone.now() + timedelta(hours=1)
    schedule = schedules.create(user, {"script": "echo", "kind": "once", "run_at": at})
    schedule.run_at = timezone.now() - timedelta(hours=1)
    schedule.save()
    schedules.update(user, schedule, {"name": "renamed"})
    assert Schedule.objects.get().name == "renamed"
