"""The page per script in Chromium: both themes, a 375 px phone, axe-core finds nothing
serious, and every chart has its numbers in a table."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tasks.models import Status
from tasks.tests.browser.axe import serious_violations
from tasks.tests.browser.conftest import PHONE
from tasks.tests.factories import finished_run, make_task

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def runs(user):
    now = timezone.now()
    for day in range(10):
        for index, status in enumerate((Status.SUCCESS, Status.SUCCESS, Status.FAILED)):
            finished_run(
                user,
                "echo",
                status,
                created_at=now - timedelta(days=day, minutes=index),
                seconds=2 + day + index,
                peak_memory_kb=1000 * (day + 1),
                exception="ValueError: a rather long exception line " * 3 if index == 2 else "",
            )
    finished_run(user, "echo", Status.CANCELLED, created_at=now - timedelta(hours=1))


@pytest.mark.usefixtures("runs")
@pytest.mark.parametrize("scheme", ["dark", "light"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_script_page_reads_in_both_themes_and_on_a_phone(
    browser, live_server, sign_in, user, scheme, viewport
):
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    page = sign_in(context.new_page(), user)
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    try:
        page.goto(f"{live_server.url}/scripts/echo/?window=30d")
        page.wait_for_load_state("load")
        assert page.locator("[data-runs]").inner_text() == "31"
        assert page.locator("svg.chart").count() == 3
        # The charts are drawn in the theme's colours (site.css's variables), not black.
        fill = page.locator("svg.chart rect.bar-success").first.evaluate(
            "element => getComputedStyle(element).fill"
        )
        assert fill not in ("", "none", "rgb(0, 0, 0)")
        # Each chart's numbers, for screen readers and anybody who wants them.
        page.locator("main details summary").first.click()
        assert page.locator("table.figures-table").first.locator("tbody tr").count() == 31
        width = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert width <= 0, "the page scrolls sideways"
        box = page.locator("svg.chart").first.bounding_box()
        assert box["width"] <= viewport["width"]
        assert serious_violations(page) == []
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["dark", "light"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_compare_and_retention_pages_pass_axe_too(
    browser, live_server, sign_in, staff, scheme, viewport
):
    left = make_task(
        staff, "echo", output=b"2026-11-20 10:00:01 start\n" + b"same line\n" * 3 + b"rows: 17\n"
    )
    right = make_task(
        staff,
        "echo",
        Status.FAILED,
        output=b"2026-11-21 11:00:02 start\n" + b"same line\n" * 3 + b"rows: 20 " * 40 + b"\n",
        exception="ValueError: bad",
    )
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    page = sign_in(context.new_page(), staff)
    try:
        # On a run's page (front's), only what this issue adds to it: the light theme's
        # link and exception colours there are the page's own (left to its rework).
        for path, within in (
            (f"/tasks/{left.pk}/compare/{right.pk}/", None),
            ("/retention/", None),
            (f"/tasks/{right.pk}/", [".compare-form", ".keep-form"]),
        ):
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("load")
            width = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert width <= 0, f"{path} scrolls sideways"
            assert serious_violations(page, within) == [], path
        page.goto(f"{live_server.url}/tasks/{left.pk}/compare/{right.pk}/")
        assert page.locator(".diff ins").count() >= 1
        assert page.locator(".diff del").count() >= 1
    finally:
        context.close()
