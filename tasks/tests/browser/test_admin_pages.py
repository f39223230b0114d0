"""The admin in a browser: the product's favicon and name, columns that fit 1280 px,
booleans in words, a user filter that says what its empty entry is."""

from playwright.sync_api import expect

from tasks.models import Status
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
