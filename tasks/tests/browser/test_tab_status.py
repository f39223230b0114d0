"""A run's status shows from another tab: the page title starts with it and the favicon
changes with it, as the run goes on."""

import re

from playwright.sync_api import expect

from tasks import services
from tasks.models import Status, Task
from tasks.tests.factories import make_task
from tasks.tests.helpers import wait_for


def icon(page):
    return page.locator('link[rel="icon"]')


def test_a_finished_runs_page_says_how_it_ended(page, live_server, sign_in, user):
    task = make_task(user, status=Status.FAILED)
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    expect(page).to_have_title(f"Failed · echo {task.short_id} · Executor")
    expect(icon(page)).to_have_attribute("href", re.compile(r"favicons/failed\.svg$"))


def test_the_title_and_icon_follow_the_run(page, live_server, sign_in, user, engine, tmp_path):
    task = services.execute(user, "sleeper", {"pidfile": str(tmp_path / "pid")})
    wait_for(lambda: Task.objects.get(pk=task.pk).status == Status.RUNNING, message="running")
    sign_in(page, user)
    page.goto(f"{live_server.url}/?script=sleeper&run={task.pk}")
    expect(page).to_have_title("Running · Dashboard · Executor")
    expect(icon(page)).to_have_attribute("href", re.compile(r"favicons/running\.svg$"))
    services.cancel(user, Task.objects.get(pk=task.pk))
    expect(page).to_have_title("Cancelled · Dashboard · Executor", timeout=15_000)
    expect(icon(page)).to_have_attribute("href", re.compile(r"favicons/cancelled\.svg$"))
