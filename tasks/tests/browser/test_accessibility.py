"""axe-core on every page, in both colour schemes: no serious or critical violation.
Colour contrast is one of axe's serious rules, so this is also the 4.5:1 check."""

import pytest

from tasks.history import paging
from tasks.models import Firing, FiringOutcome, Status
from tasks.services import schedules
from tasks.tests.browser.conftest import PHONE
from tasks.tests.factories import make_task

LOG = [("out", b"\x1b[32mgreen\x1b[0m line\n"), ("err", b"Traceback: something failed\n")]


@pytest.fixture
def runs(user):
    failed = make_task(
        user, status=Status.FAILED, exception="RuntimeError: the disk is full", log=LOG
    )
    pending = make_task(user, status=Status.PENDING)
    return failed, pending


@pytest.fixture
def schedule(user, runs):
    made = schedules.create(
        user, {"script": "echo", "kind": "cron", "cron": "30 7 * * 1-5", "name": "weekdays"}
    )
    failed, _ = runs
    failed.schedule = made
    failed.save()
    Firing.objects.create(
        schedule=made, due_at=failed.created_at, outcome=FiringOutcome.SKIPPED, reason="missed"
    )
    schedules.create(user, {"script": "echo", "kind": "interval", "interval_seconds": 60})
    schedules.pause(user, made)
    return made


# One test per page, so that the parallel workers share them out.
PAGES = (
    "/",
    "/?script=echo",
    "/?script=echo&run={failed}",
    "/history/",
    "/history/?status=failed",
    "/tasks/{failed}/",
    "/tasks/{pending}/",
    "/schedules/",
    "/schedules/new/",
    "/schedules/new/?script=echo",
    "/schedules/{schedule}/edit/",
    "/schedules/{schedule}/delete/",
)


@pytest.mark.parametrize("path", PAGES)
def test_the_pages_people_use_pass_axe(page, live_server, sign_in, user, runs, schedule, axe, path):
    failed, pending = runs
    sign_in(page, user)
    page.goto(
        live_server.url + path.format(failed=failed.pk, pending=pending.pk, schedule=schedule.pk)
    )
    page.wait_for_load_state("networkidle")  # the schedule form's first check
    axe(page)


def test_the_schedule_form_with_errors_passes_axe(page, live_server, sign_in, user, axe):
    sign_in(page, user)
    page.goto(f"{live_server.url}/schedules/new/?script=echo")
    page.get_by_label("Cron expression", exact=True).fill("nope")
    page.get_by_label("Count", exact=True).fill("99")
    page.get_by_role("button", name="Save the schedule").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".errorlist").count() >= 2
    axe(page)
    page.get_by_label("Time zone", exact=True).fill("Mars/Olympus")  # checked as typed
    page.locator(".field", has=page.get_by_label("Time zone", exact=True)).locator(
        ".errorlist"
    ).wait_for()
    axe(page)


def test_a_form_with_errors_passes_axe(page, live_server, sign_in, user, axe):
    sign_in(page, user)
    page.goto(f"{live_server.url}/?script=echo")
    page.get_by_label("count").fill("99")
    page.get_by_label("mood").fill("NOT LOWER")
    page.get_by_role("button", name="Execute").click()
    page.wait_for_load_state("load")
    assert page.locator(".errorlist").count() >= 1
    axe(page)


def test_the_sign_in_page_passes_axe_with_and_without_an_error(page, live_server, user, axe):
    page.goto(f"{live_server.url}/accounts/login/")
    axe(page)
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("not-her-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    assert page.locator(".errorlist, .form-errors, .message.error").count() >= 1
    axe(page)


def test_the_admin_pages_pass_axe(page, live_server, sign_in, admin_user, runs, axe):
    failed, _ = runs
    sign_in(page, admin_user)
    for path in (
        "/admin/",
        "/admin/tasks/task/",
        f"/admin/tasks/task/{failed.pk}/change/",
        "/admin/tasks/scriptcatalog/",
        "/admin/tasks/auditevent/",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
        axe(page)


def test_the_history_refusing_a_deep_search_page_passes_axe_and_fits_a_phone(
    browser, live_server, sign_in, user, runs, axe, monkeypatch
):
    # Two runs of "echo": its second page is past the limit (the live server's thread
    # reads the same module).
    monkeypatch.setattr(paging, "SEARCH_OFFSET_LIMIT", 1)
    for viewport in (None, PHONE):
        context = browser.new_context(viewport=viewport) if viewport else browser.new_context()
        page = sign_in(context.new_page(), user)
        page.goto(f"{live_server.url}/history/?q=echo&page=2")
        page.get_by_role("alert").filter(has_text="cannot be opened by its number").wait_for()
        assert page.locator("table.runs tbody tr").count() == 2  # the first page, whole
        assert (
            page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            <= 0
        )
        axe(page)
        context.close()
