"""At a 375 px wide phone, every page fits (no sideways scrolling) and passes axe-core."""

import pytest
from playwright.sync_api import expect

from tasks.models import Channel, Status
from tasks.services import schedules
from tasks.tests.browser.conftest import PHONE
from tasks.tests.factories import make_task

LONG_LINE = b"x" * 400 + b" " + b"/a/very/long/path/" * 20 + b"\n"


@pytest.fixture
def phone(browser, live_server, sign_in, user):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = sign_in(context.new_page(), user)
    yield page
    context.close()


def overflow(page):
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


@pytest.fixture
def long_content(user):
    """A failed run, a channel and a schedule, each with long text that could push a page
    wider than the phone."""
    task = make_task(
        user,
        status=Status.FAILED,
        params={"greeting": "a-very-long-parameter-value-" * 5},
        exception="RuntimeError: " + "a long exception message " * 10,
        log=[("out", LONG_LINE), ("err", LONG_LINE)],
    )
    # A channel users may pick: the run page and /notifications/ show the "Notify me" form.
    Channel.objects.create(name="team chat with a long name", kind="apprise", target="json://x/")
    schedule = schedules.create(
        user,
        {
            "script": "echo",
            "kind": "cron",
            "cron": "*/5 9-17 * * 1-5",
            "timezone": "America/Argentina/ComodRivadavia",
            "name": "a schedule with a rather long name " * 2,
        },
    )
    task.schedule = schedule
    task.save()
    return {"task": task.pk, "schedule": schedule.pk}


# One test per page, so that the parallel workers share them out.
@pytest.mark.parametrize(
    "path",
    [
        "/?script=echo&run={task}",
        "/history/",
        "/history/?status=failed&ordering=script",
        "/tasks/{task}/",
        "/notifications/",
        "/webhooks/",
        "/accounts/login/",
        "/account/tokens/",
        "/schedules/",
        "/schedules/new/?script=echo",
        "/schedules/{schedule}/edit/",
        "/schedules/{schedule}/delete/",
    ],
)
def test_no_page_scrolls_sideways_on_a_phone(phone, live_server, long_content, axe, path):
    phone.goto(live_server.url + path.format(**long_content))
    phone.wait_for_load_state("networkidle")
    assert overflow(phone) <= 0, path
    axe(phone)


TAP_TARGETS = (
    "main button, main .button, main input:not([type=checkbox]):not([type=radio]), "
    "main select, main .chip, .mainnav a, .mainnav button, .script-list a"
)


def small_targets(page):
    """The visible controls smaller than 44 x 44 px, by their text."""
    return page.evaluate(
        """selector => [...document.querySelectorAll(selector)]
            .filter(el => el.offsetParent !== null)
            .map(el => [el, el.getBoundingClientRect()])
            .filter(([el, box]) => box.height < 44 || box.width < 44)
            .map(([el, box]) => `${el.tagName} "${el.textContent.trim().slice(0, 30)}" `
                + `${Math.round(box.width)}x${Math.round(box.height)}`)""",
        TAP_TARGETS,
    )


def test_every_control_is_big_enough_to_tap(phone, live_server, user):
    task = make_task(user, status=Status.RUNNING, log=[("out", b"working\n")])
    schedules.create(user, {"script": "echo", "kind": "interval", "interval_seconds": 600})
    for path in (
        "/?script=echo",
        f"/?script=echo&run={task.pk}",
        "/history/",
        "/history/?status=running",
        f"/tasks/{task.pk}/",
        "/schedules/",
        "/schedules/new/?script=echo",
    ):
        phone.goto(f"{live_server.url}{path}")
        phone.wait_for_load_state("load")
        assert small_targets(phone) == [], path


def test_the_history_shows_runs_first_and_filters_behind_a_button(phone, live_server, user):
    make_task(user, status=Status.FAILED)
    phone.goto(f"{live_server.url}/history/")
    form = phone.get_by_role("form", name="Filter runs")
    expect(form).to_be_hidden()
    first_run = phone.locator("table.runs tbody tr").first
    assert first_run.bounding_box()["y"] < PHONE["height"] / 2
    phone.get_by_text("Filters", exact=True).click()
    expect(form).to_be_visible()
    phone.goto(f"{live_server.url}/history/?status=failed")
    expect(phone.get_by_role("form", name="Filter runs")).to_be_visible()  # filtering: open


def test_after_execute_the_live_panel_is_in_view(phone, live_server, user, engine):
    phone.goto(f"{live_server.url}/?script=echo")
    phone.get_by_role("button", name="Execute").click()
    panel = phone.locator("[data-run]")
    expect(panel).to_be_visible()
    expect(panel.locator('[data-bind="status"]')).to_be_in_viewport()


def test_the_main_menu_waits_behind_its_button_on_a_phone(phone, live_server):
    phone.goto(f"{live_server.url}/history/")
    menu = phone.get_by_role("navigation", name="Main")
    expect(menu).to_be_hidden()
    phone.locator("summary", has_text="Menu").click()
    expect(menu.get_by_role("link", name="Schedules")).to_be_visible()
    menu.get_by_role("link", name="Schedules").click()
    expect(phone).to_have_url(f"{live_server.url}/schedules/")
    phone.set_viewport_size({"width": 1280, "height": 720})  # wider: no button, the menu shows
    expect(phone.get_by_role("navigation", name="Main")).to_be_visible()
    expect(phone.locator("summary", has_text="Menu")).to_be_hidden()
