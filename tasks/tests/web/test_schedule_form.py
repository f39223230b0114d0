"""The schedule form without JavaScript: "Preview next firings" shows them and saves
nothing; another script is chosen in the form, its parameters shown before it is saved,
checked against its catalog entry and the user's access, and audited as a change."""

import pytest

from tasks.models import AuditEvent, Schedule
from tasks.services import schedules
from tasks.tests.web.test_schedules_page import FORM

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_preview_shows_the_next_firings_and_saves_nothing(signed_in):
    response = signed_in.post("/schedules/new/", {**FORM, "preview": "1"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "At 07:30, Monday through Friday (Europe/Berlin)" in page
    assert page.count("07:30:00 CE") == 5  # CET or CEST: the next five, in Berlin
    assert "nothing is saved yet" in page
    assert 'value="morning report"' in page  # the values stay in the form
    assert 'value="hi"' in page
    assert not Schedule.objects.exists()
    assert not AuditEvent.objects.exists()


def test_preview_of_a_bad_expression_shows_the_field_error(signed_in):
    response = signed_in.post("/schedules/new/", {**FORM, "cron": "61 * * * *", "preview": "1"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "is not a cron expression" in page
    assert 'aria-invalid="true"' in page
    assert "07:30:00" not in page
    assert not Schedule.objects.exists()


def test_preview_of_an_edit_changes_nothing(signed_in, user):
    schedule = schedules.create(user, {"script": "echo", "kind": "cron", "cron": "@daily"})
    response = signed_in.post(
        f"/schedules/{schedule.pk}/edit/", {**FORM, "cron": "15 3 * * *", "preview": "1"}
    )
    assert response.status_code == 200
    assert "At 03:15 (Europe/Berlin)" in response.content.decode()
    assert Schedule.objects.get().cron == "@daily"
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["schedule_create"]


def test_the_form_offers_the_scripts_you_may_run(signed_in, user):
    schedule = schedules.create(user, {"script": "echo", "kind": "cron", "cron": "@daily"})
    page = signed_in.get(f"/schedules/{schedule.pk}/edit/").content.decode()
    assert '<option value="echo" selected>' in page
    assert '<option value="lines">' in page
    assert 'value="secret_club"' not in page
    assert "Use this script" in page


def test_choosing_another_script_shows_its_parameters_first(signed_in, user):
    schedule = schedules.create(
        user, {"script": "echo", "kind": "cron", "cron": "@daily", "params": {"count": 4}}
    )
    form = {**FORM, "script": "lines", "params_for": "echo", "param_count": "4"}
    response = signed_in.post(f"/schedules/{schedule.pk}/edit/", form)
    assert response.status_code == 200
    page = response.content.decode()
    assert "These are the parameters of <code>lines</code>" in page
    assert 'name="param_delay"' in page  # lines' own parameter
    assert 'name="param_greeting"' not in page
    assert 'name="param_count" value="4"' in page  # shared by both: kept
    assert 'value="30 7 * * 1-5"' in page  # what was typed stays
    assert Schedule.objects.get().script == "echo"


def test_a_schedule_moves_to_another_script_and_the_audit_says_so(signed_in, user):
    schedule = schedules.create(
        user, {"script": "echo", "kind": "cron", "cron": "@daily", "params": {"greeting": "x"}}
    )
    form = {k: v for k, v in FORM.items() if not k.startswith("param_")}
    form.update({"script": "lines", "params_for": "lines", "param_count": "2", "cron": "@daily"})
    response = signed_in.post(f"/schedules/{schedule.pk}/edit/", form)
    assert response.status_code == 302, response.content.decode()
    saved = Schedule.objects.get()
    assert (saved.script, saved.params) == ("lines", {"count": 2, "delay": 0.0})
    event = AuditEvent.objects.get(action="schedule_change")
    assert event.script == "lines"
    assert event.details["script_was"] == "echo"
    assert "script" in event.details["fields"]
    assert "params" in event.details["fields"]
    assert "cron" not in event.details["fields"]  # sent, but not changed


def test_a_script_you_may_not_run_is_refused_beside_the_field(signed_in, user):
    schedule = schedules.create(user, {"script": "echo", "kind": "cron", "cron": "@daily"})
    form = {**FORM, "script": "secret_club", "params_for": "echo"}
    response = signed_in.post(f"/schedules/{schedule.pk}/edit/", form)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Unknown script &#x27;secret_club&#x27;, or one you may not run." in page
    assert Schedule.objects.get().script == "echo"
    assert not AuditEvent.objects.filter(action="schedule_change").exists()


def test_parameters_the_new_script_refuses_keep_the_schedule_as_it_was(signed_in, user):
    schedule = schedules.create(user, {"script": "echo", "kind": "cron", "cron": "@daily"})
    form = {**FORM, "script": "lines", "params_for": "lines", "param_count": "many"}
    response = signed_in.post(f"/schedules/{schedule.pk}/edit/", form)
    assert response.status_code == 400
    assert 'value="many"' in response.content.decode()
    assert Schedule.objects.get().script == "echo"


def test_a_schedule_whose_script_you_lost_can_be_given_another(signed_in, user, club):
    user.groups.add(club)
    schedule = schedules.create(user, {"script": "secret_club", "kind": "cron", "cron": "@daily"})
    user.groups.remove(club)
    response = signed_in.get(f"/schedules/{schedule.pk}/edit/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "“secret_club” is not a script you may run: pick another one." in page
    assert f'action="/schedules/{schedule.pk}/edit/"' in page
    page = signed_in.get(f"/schedules/{schedule.pk}/edit/?script=echo").content.decode()
    assert "These are the parameters of <code>echo</code>" in page
