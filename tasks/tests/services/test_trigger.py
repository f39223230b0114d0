"""Each run records what started it; the history and the API filter on it."""

from io import StringIO

import pytest
from django.core.management import call_command

from tasks.models import Task, Trigger
from tasks.tests.factories import make_task

pytestmark = pytest.mark.django_db


def test_each_way_in_records_its_own_trigger(client, api, user, admin_user, recorded):
    client.force_login(user)
    client.post("/run/echo/", {"param_greeting": "hi", "param_count": "1"})
    by_hand = Task.objects.get()
    api.post("/api/execute", {"script_type": "echo"}, format="json")
    by_api = Task.objects.exclude(pk=by_hand.pk).get()
    client.post(f"/tasks/{by_hand.pk}/rerun/")
    again = Task.objects.get(rerun_of=by_hand)
    assert (by_hand.trigger, by_api.trigger, again.trigger) == (
        Trigger.MANUAL,
        Trigger.API,
        Trigger.RERUN,
    )
    assert api.get(f"/api/tasks/{by_api.pk}").json()["task"]["trigger"] == "api"


@pytest.mark.django_db(transaction=True)
def test_a_run_from_the_terminal_says_so(admin_user):
    call_command("run_script", "echo", stdout=StringIO(), stderr=StringIO())
    assert Task.objects.get().trigger == Trigger.TERMINAL


def test_the_history_and_the_api_filter_by_trigger(client, api, user):
    manual = make_task(user=user)
    scheduled = make_task(user=user, trigger=Trigger.SCHEDULE)
    listed = api.get("/api/tasks?trigger=schedule").json()
    assert [row["id"] for row in listed["tasks"]] == [str(scheduled.pk)]
    client.force_login(user)
    page = client.get("/history/?trigger=manual").content.decode()
    assert manual.short_id in page
    assert scheduled.short_id not in page


def test_an_unknown_trigger_is_a_clear_400(api):
    response = api.get("/api/tasks?trigger=cron")
    assert response.status_code == 400
    assert "trigger: unknown value 'cron'" in response.json()["error"]
