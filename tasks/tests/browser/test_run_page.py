"""The run page leads with the answer: who started what and when, for a failed run what
went wrong, and the log within the first screen on a desktop and on a phone."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tasks import services
from tasks.models import Status
from tasks.tests.browser.conftest import PHONE
from tasks.tests.factories import make_task
from tasks.tests.helpers import wait_finished

DESKTOP = {"width": 1280, "height": 720}
STDERR = "Traceback (most recent call last):\n  File 'x.py', line 3\nRuntimeError: disk full\n"
OUTPUT = b"".join(b"line %d of output\n" % n for n in range(200))


def test_a_failed_run_says_why_at_the_top(page, live_server, sign_in, user, engine):
    task = services.execute(user, "fail")
    wait_finished(task.pk)
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    summary = page.locator("section.failure")
    expect(summary.get_by_role("heading", level=2)).to_have_text("Failed: exited with code 1")
    expect(summary.locator(".exception")).to_contain_text("RuntimeError: report failed")
    expect(summary.locator(".failure-stderr")).to_contain_text("RuntimeError: report failed")
    # It comes before the log and the details, right under the header.
    assert summary.bounding_box()["y"] < page.locator('[data-bind="log"]').bounding_box()["y"]
    header = page.locator(".run-header")
    expect(header).to_contain_text("by alice")
    expect(header.get_by_role("link", name="fail", exact=True)).to_be_visible()
    expect(page.locator('[data-bind="log"]')).to_contain_text("RuntimeError: report failed")
    summary.get_by_role("link", name="Show in the log").click()
    # It links to the last line written to stderr, which is the exception's.
    expect(page).to_have_url(re.compile(r"#L\d+$"))
    target = page.locator(".log .line.target")
    expect(target).to_have_text("RuntimeError: report failed\n")
    expect(target).to_be_in_viewport()


def test_a_run_that_succeeded_has_no_failure_summary(page, live_server, sign_in, user):
    task = make_task(user, status=Status.SUCCESS, output=b"all good\n")
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    expect(page.locator('[data-bind="log"]')).to_contain_text("all good")
    assert page.locator("section.failure").count() == 0


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_log_is_in_the_first_screen(browser, live_server, sign_in, staff, viewport):
    # Staff: the longest menu (Admin, Retention), a long stderr summary above the log.
    task = make_task(
        staff,
        status=Status.FAILED,
        end_reason="exit",
        return_code=2,
        exception="RuntimeError: the disk is full",
        stderr_tail=STDERR,
        params={"greeting": "hello", "count": 3},
        log=[("out", OUTPUT)],
    )
    context = browser.new_context(viewport=viewport)
    page = sign_in(context.new_page(), staff)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    log = page.locator('[data-bind="log"]')
    expect(log).to_contain_text("line 199 of output")
    # At least three lines of the log show without scrolling.
    assert log.bounding_box()["y"] + 3 * 18 < viewport["height"]
    context.close()


def test_details_and_parameters_fold_away(page, live_server, sign_in, user):
    task = make_task(user, status=Status.SUCCESS, params={"greeting": "hello"})
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    facts = page.locator("[data-facts=details] .facts")
    expect(facts).to_be_visible()
    page.locator("summary", has_text="Details").click()
    expect(facts).to_be_hidden()
    expect(page.get_by_text("hello", exact=True)).to_be_visible()  # the parameters stay open


def test_the_estimate_comes_from_runs_with_the_same_parameters(page, live_server, sign_in, user):
    now = timezone.now()
    for count, seconds in [(1, 2), (1, 3), (9, 20), (9, 22), (9, 30)]:
        end = now + timedelta(seconds=seconds)
        make_task(user, params={"count": count}, started_at=now, completed_at=end)
    pending = make_task(user, status=Status.PENDING, params={"count": 9})
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{pending.pk}/")
    expect(page.locator('[data-bind="estimate"]')).to_have_text(
        "usually takes 22.0 s with these parameters"
    )


def test_a_run_without_progress_sweeps_its_bar_in_steps(page, live_server, sign_in, user):
    """Four steps a second from progress_sweep.js, not a CSS animation: that had the
    browser draw 60 frames a second while the run ran, a sixth of a core of this 2-core
    machine taken from the run being watched."""
    task = make_task(user, status=Status.RUNNING, started_at=timezone.now())
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    bar = page.locator('[data-run] [data-bind="progress"]')
    expect(bar).to_be_visible()
    assert bar.evaluate("bar => bar.matches(':indeterminate')")
    assert bar.evaluate("bar => getComputedStyle(bar).animationName") == "none"

    def steps_seen():
        seen = set()
        for _ in range(8):
            seen.add(bar.evaluate("bar => getComputedStyle(bar).backgroundPositionX"))
            page.wait_for_timeout(150)
        return seen

    assert len(steps_seen()) >= 3
    page.emulate_media(reduced_motion="reduce")
    assert len(steps_seen()) == 1  # still, for readers who ask for less motion
