"""axe-core on every page, in both colour schemes: no serious or critical violation.
Colour contrast is one of axe's serious rules, so this is also the 4.5:1 check."""

import pytest

from tasks.models import Status
from tasks.tests.factories import make_task

LOG = [("out", b"\x1b[32mgreen\x1b[0m line\n"), ("err", b"Traceback: something failed\n")]


@pytest.fixture
def runs(user):
    failed = make_task(
        user, status=Status.FAILED, exception="RuntimeError: the disk is full", log=LOG
    )
    pending = make_task(user, status=Status.PENDING)
    return failed, pending


def test_the_pages_people_use_pass_axe(page, live_server, sign_in, user, runs, axe):
    failed, pending = runs
    sign_in(page, user)
    for path in (
        "/",
        "/?script=echo",
        f"/?script=echo&run={failed.pk}",
        "/history/",
        "/history/?status=failed",
        f"/tasks/{failed.pk}/",
        f"/tasks/{pending.pk}/",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
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
