"""Browser tests: Playwright drives Debian's Chromium against a live server in this process.

The server, the engine and the test share one database, so a test can start runs from
the page and check rows, and the engine's wake-ups reach the live pages at once.
"""

import pytest
from playwright.sync_api import sync_playwright

from tasks.tests.browser.axe import serious_violations
from tasks.tests.browser.chromium import ARGS, chromium_path
from tasks.tests.requirements import require_or_skip

PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    path = chromium_path()
    require_or_skip(
        "browser",
        path is not None,
        "Chromium is not installed (Debian: apt-get install chromium; or set EXECUTOR_CHROMIUM)",
    )
    return {**browser_type_launch_args, "executable_path": path, "args": ARGS}


@pytest.fixture(scope="package", autouse=True)
def allow_orm_beside_playwright():
    # Playwright's sync API keeps an event loop running in this thread while it is
    # started; Django refuses ORM calls there unless told that this thread really is
    # synchronous (it is). Only for this package: Playwright stops at its end (below).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


# pytest-playwright keeps Playwright (and its event loop in the main thread) for the
# whole session; these make it live for this package only, so that the tests that run
# after the browser tests get the ORM's usual async-safety checks back.


@pytest.fixture(scope="package")
def playwright():
    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="package")
def browser_type(playwright, browser_name):
    return getattr(playwright, browser_name)


@pytest.fixture(scope="package")
def launch_browser(browser_type_launch_args, browser_type):
    def launch(**kwargs):
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="package")
def browser_context_args():
    return {}  # no --device or --video here; pages open absolute URLs


@pytest.fixture(scope="package")
def browser(launch_browser):
    started = launch_browser()
    yield started
    started.close()


@pytest.fixture
def sign_in(live_server, client):
    """sign_in(page, user): the page's browser context gets the user's session."""

    def sign_in(page, user):
        client.force_login(user)
        page.context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )
        return page

    return sign_in


@pytest.fixture
def shipped_catalog(settings):
    """The catalog the product ships (scripts/catalog.toml), for `sample` and friends."""
    settings.EXECUTOR_SCRIPTS = str(settings.BASE_DIR / "scripts" / "catalog.toml")


@pytest.fixture
def dialogs(page):
    """Every JavaScript dialog (alert, confirm, prompt) the page opens."""
    opened = []

    def record(dialog):
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return opened


# Colours ease into a new scheme (the admin's links take 0.15 s): measure them after the
# transitions the change started have ended (two frames for them to start), rather than
# after a fixed pause on every page.
SETTLE = """() => new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(() => {
    const easing = document.getAnimations().filter(a => a instanceof CSSTransition);
    Promise.all(easing.map(a => a.finished.catch(() => null))).then(() => resolve());
})))"""


@pytest.fixture
def axe():
    """axe(page): fails the test if the page, in both colour schemes, has a serious or
    critical accessibility violation."""

    def check(page):
        found = {}
        for scheme in ("dark", "light"):
            page.emulate_media(color_scheme=scheme)
            page.evaluate(SETTLE)
            if violations := serious_violations(page):
                found[scheme] = violations
        page.emulate_media(color_scheme="dark")
        assert found == {}, f"{page.url}: {found}"

    return check
