"""Take the README's screenshots: the dashboard, the history, a failed run's page and the
sign-in page, on a desktop and on a phone, in the dark and the light theme, from a
throwaway server with a few real runs.

    .venv/bin/python docs/screenshots.py        (writes docs/screenshots/*.png)

Dark pictures are NAME-SIZE.png, light ones NAME-SIZE-light.png.
"""

import sys
from itertools import product
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import Server  # noqa: E402 (needs the path above)
from tasks.tests.browser.chromium import launch_options  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
SIZES = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 375, "height": 740}}
SCHEMES = {"dark": "", "light": "-light"}


def wait_for_progress(page, at_least):
    page.wait_for_function(
        "(least) => Number(document.querySelector('[data-run] progress').value) >= least",
        arg=at_least,
        timeout=60_000,
    )


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with Server("runserver") as server:
        session = server.session()
        finished = [
            server.execute(session, "report", {"title": "Weekly numbers", "rows": 12}),
            server.execute(session, "big_output", {"lines": 2000}),
            server.execute(session, "progress_bar", {"items": 20, "rate": 40}),
        ]
        failing = server.execute(session, "failing", {"steps": 4})
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**launch_options())
            for (name, viewport), (scheme, suffix) in product(SIZES.items(), SCHEMES.items()):
                phone = name == "phone"
                context = browser.new_context(
                    viewport=viewport, color_scheme=scheme, device_scale_factor=2 if phone else 1
                )
                page = context.new_page()
                page.goto(f"{server.url}/accounts/login/")
                page.screenshot(path=OUT / f"sign-in-{name}{suffix}.png")
                context.add_cookies(server.cookies_for_browser(session))
                for task_id in [*finished, failing]:
                    page.goto(f"{server.url}/tasks/{task_id}/")
                    page.wait_for_selector("[data-bind=status]:not(.pending):not(.running)")

                running = server.execute(session, "sample", {"delay": 0.6})
                page.goto(f"{server.url}/?script=sample&run={running}")
                page.get_by_text("Starting sample script").wait_for()
                wait_for_progress(page, 40)
                if phone:
                    page.locator("[data-run]").scroll_into_view_if_needed()
                page.screenshot(path=OUT / f"dashboard-{name}{suffix}.png", full_page=not phone)

                page.goto(f"{server.url}/history/")
                page.screenshot(path=OUT / f"history-{name}{suffix}.png", full_page=not phone)

                page.goto(f"{server.url}/tasks/{failing}/")
                page.wait_for_selector("[data-bind=status].failed")
                page.locator("section.failure").wait_for()
                page.screenshot(path=OUT / f"task-{name}{suffix}.png", full_page=not phone)
                context.close()
            browser.close()
    for path in sorted(OUT.glob("*.png")):
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
