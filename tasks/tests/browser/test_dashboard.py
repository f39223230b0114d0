"""Running a script from the dashboard and watching it live, in a real browser."""

import re
from pathlib import Path

from playwright.sync_api import expect

from tasks.models import Status, Task
from tasks.tests.helpers import wait_finished, wait_for


def progress_values(page):
    """Collect the progress bar's value each time it changes, until the run ends."""
    return page.evaluate(
        """() => new Promise((resolve) => {
            const bar = document.querySelector('[data-run] progress');
            const badge = document.querySelector('[data-run] [data-bind="status"]');
            const seen = [];
            const lines = [];
            const log = document.querySelector('[data-run] [data-bind="log"]');
            if (/Success|Failed|Cancelled/.test(badge.textContent)) {
                resolve({seen, lines});  // ended before we looked: nothing seen live
                return;
            }
            const observer = new MutationObserver(() => {
                const value = bar.hasAttribute('value') ? Number(bar.value) : null;
                if (seen[seen.length - 1] !== value) seen.push(value);
                if (!/Success|Failed|Cancelled/.test(badge.textContent)) {
                    lines.push(log.textContent.split('\\n').filter(Boolean).length);
                } else {
                    observer.disconnect();
                    resolve({seen, lines});
                }
            });
            observer.observe(document.querySelector('[data-run]'), {
                subtree: true, childList: true, attributes: true, characterData: true,
            });
        })"""
    )


def test_a_run_started_from_the_form_shows_progress_and_lines_while_it_runs(
    page, live_server, sign_in, user, engine, shipped_catalog
):
    sign_in(page, user)
    page.goto(f"{live_server.url}/?script=sample")
    page.get_by_label("Delay").fill("0.25")
    page.get_by_role("button", name="Execute").click()
    expect(page).to_have_url(re.compile(r"/\?script=sample&run="))
    watched = progress_values(page)
    intermediate = [value for value in watched["seen"] if value is not None and 0 < value < 100]
    assert len(intermediate) >= 3, watched["seen"]
    assert max(watched["lines"]) >= 3  # lines were on screen before the run ended
    panel = page.locator("[data-run]")
    expect(panel.locator('[data-bind="status"]')).to_have_text("Success")
    expect(panel.locator('[data-bind="percent"]')).to_have_text("100 %")
    expect(panel.locator("progress")).to_have_attribute("value", "100")
    expect(panel.locator('[data-bind="log"]')).to_contain_text("[10/10]")
    expect(panel.locator('[data-bind="log"]')).to_contain_text("Done!")
    expect(page.locator("#announcer")).to_contain_text("Success")
    task = Task.objects.get()
    assert task.status == Status.SUCCESS
    assert task.params == {"delay": 0.25}


def test_a_bad_value_shows_the_message_beside_its_field(page, live_server, sign_in, user):
    sign_in(page, user)
    page.goto(f"{live_server.url}/?script=echo")
    page.get_by_label("Count").fill("99")
    page.get_by_role("button", name="Execute").click()
    field = page.locator(".field", has=page.get_by_label("Count"))
    expect(field.locator(".errorlist")).to_contain_text("less than or equal to 10")
    expect(page.get_by_label("Count")).to_have_attribute("aria-invalid", "true")
    assert not Task.objects.exists()


def test_a_long_run_is_cancelled_from_its_panel(
    page, live_server, sign_in, user, engine, shipped_catalog
):
    sign_in(page, user)
    page.goto(f"{live_server.url}/?script=sample")
    page.get_by_label("Delay").fill("30")
    page.get_by_role("button", name="Execute").click()
    panel = page.locator("[data-run]")
    expect(panel.locator('[data-bind="status"]')).to_have_text("Running")
    expect(panel.locator('[data-bind="log"]')).to_contain_text("Starting sample script")
    panel.get_by_role("button", name="Cancel").click()
    panel.get_by_role("button", name="Yes, stop it").click()  # cancel asks first
    expect(panel.locator('[data-bind="status"]')).to_have_text("Cancelled", timeout=15_000)
    expect(panel.get_by_role("button", name="Cancel")).to_be_hidden()
    task = wait_finished(Task.objects.get().pk)
    assert task.status == Status.CANCELLED


def test_the_log_is_copied_and_downloaded_whole(page, live_server, sign_in, user, engine):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, user)
    page.goto(f"{live_server.url}/?script=lines")
    page.get_by_label("Count").fill("40")
    page.get_by_role("button", name="Execute").click()
    task = wait_finished(wait_for(lambda: Task.objects.first()).pk)
    panel = page.locator("[data-run]")
    expect(panel.locator('[data-bind="status"]')).to_have_text("Success")
    expected = "".join(f"[{n}/40] line {n}\n" for n in range(1, 41))
    panel.get_by_role("button", name="Copy log").click()
    expect(panel.locator('[data-bind="action-note"]')).to_have_text("Copied 40 lines.")
    assert page.evaluate("navigator.clipboard.readText()") == expected
    with page.expect_download() as download:
        panel.get_by_role("link", name="Download log").click()
    assert Path(download.value.path()).read_text(encoding="utf-8") == expected
    assert download.value.suggested_filename == f"lines-{task.short_id}.log"
