"""The history's "select two to compare" in Chromium: the button waits for two ticked rows
and goes to their comparison; without JavaScript the same form works and the server
refuses another count; axe-core finds nothing serious in both themes and on a phone."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tasks.tests.browser.axe import serious_violations
from tasks.tests.browser.conftest import PHONE
from tasks.tests.factories import make_task

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def three(user):
    now = timezone.now()
    return [
        make_task(user, "echo", created_at=now - timedelta(minutes=minutes), output=text)
        for minutes, text in ((3, b"one\n"), (2, b"two\n"), (1, b"three\n"))
    ]


def box(page, task):
    return page.locator(f'input[name="run"][value="{task.pk}"]')


def test_the_button_waits_for_two_ticked_rows_then_compares_them(
    page, live_server, sign_in, user, three
):
    oldest, middle, newest = three
    sign_in(page, user)
    page.goto(f"{live_server.url}/history/")
    button = page.get_by_role("button", name="Compare selected")
    expect(button).to_be_disabled()
    box(page, newest).check()
    expect(page.locator("[data-compare-status]")).to_contain_text("1 ticked")
    expect(button).to_be_disabled()
    box(page, oldest).check()
    box(page, middle).check()
    expect(page.locator("[data-compare-status]")).to_contain_text("Tick only two")
    expect(button).to_be_disabled()
    box(page, middle).uncheck()
    expect(button).to_be_enabled()
    button.click()
    page.wait_for_url(f"**/tasks/{oldest.pk}/compare/{newest.pk}/")
    expect(page.locator(".diff del")).to_contain_text("one")
    expect(page.locator(".diff ins")).to_contain_text("three")


def test_without_javascript_the_form_still_works(browser, live_server, sign_in, user, three):
    oldest, _, newest = three
    context = browser.new_context(java_script_enabled=False)
    page = sign_in(context.new_page(), user)
    try:
        page.goto(f"{live_server.url}/history/?script=echo")
        box(page, oldest).check()
        page.get_by_role("button", name="Compare selected").click()
        page.wait_for_url("**/history/?script=echo")
        expect(page.get_by_text("Tick exactly two runs to compare: 1 were ticked.")).to_be_visible()
        box(page, oldest).check()
        box(page, newest).check()
        page.get_by_role("button", name="Compare selected").click()
        page.wait_for_url(f"**/tasks/{oldest.pk}/compare/{newest.pk}/")
    finally:
        context.close()


@pytest.mark.usefixtures("three")
@pytest.mark.parametrize("scheme", ["dark", "light"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_history_with_its_boxes_passes_axe(
    browser, live_server, sign_in, user, scheme, viewport
):
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    page = sign_in(context.new_page(), user)
    try:
        page.goto(f"{live_server.url}/history/")
        page.wait_for_load_state("load")
        width = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert width <= 0, "the history scrolls sideways"
        target = page.locator("td.pick label").first.bounding_box()
        assert target["width"] >= 44
        assert target["height"] >= 44
        assert serious_violations(page) == []
    finally:
        context.close()
