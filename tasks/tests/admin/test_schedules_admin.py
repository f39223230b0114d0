"""The schedules admin: lists schedules and firings, pauses and resumes as actions."""

import pytest

from tasks.models import Schedule
from tasks.services import schedules

pytestmark = pytest.mark.django_db


def test_pause_and_resume_actions(client, admin_user, user):
    schedule = schedules.create(user, {"script": "echo", "kind": "cron", "cron": "@daily"})
    client.force_login(admin_user)
    page = client.get("/admin/tasks/schedule/")
    assert "At 00:00 (UTC)" in page.content.decode()
    client.post(
        "/admin/tasks/schedule/",
        {"action": "pause_selected", "_selected_action": [schedule.pk]},
    )
    assert Schedule.objects.get().paused is True
    client.post(
        "/admin/tasks/schedule/",
        {"action": "resume_selected", "_selected_action": [schedule.pk]},
    )
    assert Schedule.objects.get().paused is False
    assert client.get("/admin/tasks/firing/").status_code == 200
