"""A run page following a flood: the page skips ahead to the latest lines when it is more
than a screenful behind, says how many lines it skipped in a note that opens them, ends
showing the run's last lines, and leaves a reader who scrolled up where they were.

The script prints a few lines, waits until the page shows them, then prints FLOOD lines
as fast as print() goes (PYTHONUNBUFFERED is not set: tasks/tests/conftest.py).
"""

import re

import pytest
from playwright.sync_api import expect

from tasks import services
from tasks.tests.browser.conftest import PHONE
from tasks.tests.browser.log_box import in_view
from tasks.tests.helpers import wait_finished

BEFORE = 300
FLOOD = 300_000
LAST = BEFORE + FLOOD
NOTE = re.compile(r"([\d,]+) lines skipped to keep up with the output: show them")

pytestmark = pytest.mark.slow


@pytest.fixture
def flood(live_server, sign_in, user, engine, settings, tmp_path):
    """flood(page, before_flood=None, query=""): opens the page of a flooding run (with
    `query` after its URL), waits for its first lines, calls before_flood(page), lets the
    flood go and waits for the run's end."""
    settings.EXECUTOR_MAX_LOG_BYTES = 64 * 1024 * 1024  # every line kept: none are gaps
    go = tmp_path / "go"

    def run(page, before_flood=None, query=""):
        sign_in(page, user)
        params = {"before": BEFORE, "lines": FLOOD, "go": str(go)}
        task = services.execute(user, "flood_after", params)
        page.goto(f"{live_server.url}/tasks/{task.pk}/{query}")
        expect(log(page)).to_contain_text(f"line {BEFORE} before the flood")
        if before_flood:
            before_flood(page)
        go.touch()
        assert wait_finished(task.pk, timeout=60).status == "success"
        expect(page.locator('[data-run] [data-bind="status"]')).to_have_text("Success")
        return task

    return run


def log(page):
    return page.locator('[data-run] [data-bind="log"]')


def skip_notes(page):
    return log(page).locator(".skip-note button")


def test_the_page_skips_ahead_ends_at_the_tail_and_opens_what_it_skipped(page, flood, axe):
    flood(page)
    expect(log(page)).to_contain_text(f"line {LAST} of the flood", timeout=10_000)
    # The page followed: the last line is in view, and it drew a screenful or two of the
    # flood, not the flood.
    assert in_view(page, LAST)
    assert page.locator("[data-bind=log] .line[id]").count() < 20_000
    notes = skip_notes(page)
    assert notes.count() == 1  # one flood, one note
    skipped = int(NOTE.search(notes.first.text_content()).group(1).replace(",", ""))
    assert FLOOD // 2 < skipped < FLOOD
    first_skipped = page.evaluate("() => document.querySelector('[data-bind=log] .skip-note').from")
    assert BEFORE < first_skipped < LAST - skipped + 1
    axe(page)

    notes.first.focus()
    page.keyboard.press("Enter")  # a real button: the keyboard opens it too
    shown = page.locator(f"#L{first_skipped}")
    expect(shown).to_have_text(f"line {first_skipped} of the flood\n")
    assert in_view(page, first_skipped)
    # Held there, not at the live end: the way back is offered.
    expect(page.locator('[data-action="jump"]')).to_be_visible()


def test_a_polling_page_skips_ahead_too(page, flood):
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    flood(page, query="?live=poll")
    assert any("/poll/" in url for url in asked)
    assert not any("/events/" in url for url in asked)
    expect(log(page)).to_contain_text(f"line {LAST} of the flood", timeout=10_000)
    assert in_view(page, LAST)
    expect(skip_notes(page)).to_have_count(1)


def test_a_reader_scrolled_up_stays_where_they_were(page, flood):
    def scroll_up(page):
        log(page).hover()
        page.mouse.wheel(0, -100_000)  # the reader's own scroll: the log stops following
        assert in_view(page, 1)

    flood(page, scroll_up)
    expect(skip_notes(page).first).to_be_attached()
    expect(log(page)).to_contain_text(f"line {LAST} of the flood", timeout=10_000)
    assert in_view(page, 1)  # the last lines were drawn below, out of view
    expect(page.locator('[data-action="jump"]')).to_be_visible()
    page.locator('[data-action="jump"]').click()
    assert in_view(page, LAST)


def test_the_note_fits_a_phone(browser, flood):
    context = browser.new_context(viewport=PHONE)
    phone = context.new_page()
    try:
        flood(phone)
        note = skip_notes(phone).first
        note.scroll_into_view_if_needed()
        expect(note).to_be_visible()
        box = note.bounding_box()
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"]
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()
