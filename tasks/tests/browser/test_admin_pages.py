"""The admin in a browser: the product's favicon and name, columns that fit 1280 px,
booleans in words, filters that say what they pick (the user filter's empty entry is a
deleted account: every run is started by someone, schedules and webhooks run as their
owner), and axe on its pages in both themes."""

from playwright.sync_api import expect

from tasks.models import Status
from tasks.services import schedules
from tasks.tests.factories import make_task


def test_the_run_list_fits_1280_px_and_explains_its_filters(page, live_server, sign_in, admin_user):
    make_task(
        admin_user, status=Status.FAILED, return_code=1, exception="RuntimeError: " + "x" * 80
    )
    make_task(None, status=Status.SUCCESS)
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, admin_user)
    page.goto(f"{live_server.url}/admin/tasks/task/")
    table = page.locator("#result_list").bounding_box()
    frame = page.locator("#changelist").bounding_box()
    assert table["x"] + table["width"] <= frame["x"] + frame["width"] + 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    expect(page.locator("#changelist-filter")).to_contain_text("Deleted account")
    expect(page.locator('link[rel="icon"]')).to_have_attribute("href", "/static/favicon.svg")
    expect(page.locator("#site-name")).to_have_text("Executor admin")


def test_a_boolean_reads_as_a_word_not_a_red_cross(page, live_server, sign_in, admin_user):
    task = make_task(admin_user, status=Status.SUCCESS)
    sign_in(page, admin_user)
    page.goto(f"{live_server.url}/admin/tasks/task/{task.pk}/change/")
    field = page.locator(".field-killed_text")
    expect(field).to_contain_text("no")
    assert field.locator("img").count() == 0


def test_the_filters_say_what_they_pick(page, live_server, sign_in, admin_user):
    schedules.create(admin_user, {"script": "echo", "kind": "interval", "interval_seconds": 60})
    sign_in(page, admin_user)
    page.goto(f"{live_server.url}/admin/tasks/schedule/")
    titles = page.locator("#changelist-filter summary")
    names = ("paused", "timetable", "when runs overlap", "missed firings", "script")
    expect(titles).to_have_text([f" By {name} " for name in names])
    page.goto(f"{live_server.url}/admin/tasks/hook/")
    filters = page.locator("#changelist-filter")
    expect(filters).to_contain_text("By state")
    expect(filters.get_by_role("link", name="Revoked", exact=True)).to_be_visible()
    expect(filters).not_to_contain_text("revoked at")


def test_the_other_admin_pages_pass_axe(page, live_server, sign_in, admin_user, axe):
    """The run list and its pages are in test_accessibility; these are the rest, with the
    widgets Django draws by script (a many-to-many picker, autocomplete boxes)."""
    schedule = schedules.create(
        admin_user, {"script": "echo", "kind": "cron", "cron": "30 7 * * 1-5", "name": "weekdays"}
    )
    sign_in(page, admin_user)
    for path in (
        "/admin/tasks/schedule/",
        f"/admin/tasks/schedule/{schedule.pk}/change/",
        "/admin/tasks/hook/",
        "/admin/tasks/hook/add/",
        "/admin/tasks/subscription/add/",
        "/admin/tasks/delivery/",
        f"/admin/auth/user/{admin_user.pk}/change/",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
        axe(page)
