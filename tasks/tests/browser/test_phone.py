"""At a 375 px wide phone, every page fits: no sideways scrolling."""

import pytest

from tasks.models import Status
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


def test_no_page_scrolls_sideways_on_a_phone(phone, live_server, user):
    task = make_task(
        user,
        status=Status.FAILED,
        params={"greeting": "a-very-long-parameter-value-" * 5},
        exception="RuntimeError: " + "a long exception message " * 10,
        log=[("out", LONG_LINE), ("err", LONG_LINE)],
    )
    for path in (
        f"/?script=echo&run={task.pk}",
        "/history/",
        "/history/?status=failed&ordering=script",
        f"/tasks/{task.pk}/",
        "/accounts/login/",
        "/account/tokens/",
    ):
        phone.goto(f"{live_server.url}{path}")
        phone.wait_for_load_state("load")
        assert overflow(phone) <= 0, path
