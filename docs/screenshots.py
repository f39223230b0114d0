"""Take the README's screenshots of every page (PAGES: the dashboard, a run's page running
and failed, the history, a script's page, the schedules and the schedule form, the
notifications, the webhooks, the sign-in page and the admin), on a desktop and on a
phone, in the dark and the light theme, from a throwaway server with a few real runs, a
schedule, a notification channel and a webhook.

    .venv/bin/python docs/screenshots.py        (writes docs/screenshots/*.png)

The pages show the scripts' paths and the interpreter's: the README's pictures were taken
from a checkout at /srv/executor (`git worktree add /srv/executor`, its .venv a link to
this one's), so that they read as a server's and not as somebody's home folder.

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


# The admin's user (bench/server.py makes it staff) sees every model; the channel lets the
# notifications page offer its form, and the webhook and schedules fill their lists.
SEED = """
from django.contrib.auth.models import User
from tasks.models import Channel, Hook
from tasks.models.hooks import hash_token, new_token
from tasks.services import schedules, subscriptions
user = User.objects.get()
User.objects.filter(pk=user.pk).update(is_superuser=True)
channel = Channel.objects.create(
    name="Team chat", kind="webhook", target="https://chat.example.com/hook", self_service=True
)
subscriptions.subscribe(user, channel_id=channel.pk, script="failing", events=["failed"])
Hook.objects.create(
    name="Deploy finished", script="report", owner=user, params={"title": "Deploy"},
    token_hash=hash_token(new_token()),
)
schedules.create(user, {"script": "report", "kind": "cron", "cron": "30 7 * * 1-5",
                        "name": "Weekday report", "params": {"title": "Morning numbers"}})
schedules.create(user, {"script": "progress_bar", "kind": "interval", "interval_seconds": 3600,
                        "name": "Hourly batch"})
"""


def shoot(page, path, phone, full=True):
    page.screenshot(path=OUT / path, full_page=full and not phone)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with Server("runserver") as server:
        server.manage("shell", "-c", SEED)
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
                shoot(page, f"sign-in-{name}{suffix}.png", phone)
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
                shoot(page, f"dashboard-{name}{suffix}.png", phone)

                running = server.execute(session, "sample", {"delay": 0.6})
                page.goto(f"{server.url}/tasks/{running}/")
                page.get_by_text("Starting sample script").wait_for()
                wait_for_progress(page, 30)
                shoot(page, f"task-running-{name}{suffix}.png", phone)

                page.goto(f"{server.url}/tasks/{failing}/")
                page.wait_for_selector("[data-bind=status].failed")
                page.locator("section.failure").wait_for()
                shoot(page, f"task-{name}{suffix}.png", phone)

                for path, shot in (
                    ("/history/", "history"),
                    ("/scripts/report/", "script"),
                    ("/schedules/", "schedules"),
                    ("/schedules/new/?script=report", "schedule-form"),
                    ("/notifications/", "notifications"),
                    ("/webhooks/", "webhooks"),
                    ("/admin/tasks/task/", "admin"),
                ):
                    page.goto(f"{server.url}{path}")
                    page.wait_for_load_state("networkidle")
                    shoot(page, f"{shot}-{name}{suffix}.png", phone)
                context.close()
            browser.close()
    for path in sorted(OUT.glob("*.png")):
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
