"""The task page's live log in a real browser: text stays text, colours, scrolling, tails,
and the polling fallback."""

import re

from playwright.sync_api import expect

from tasks import live, services
from tasks.models import Status, Task
from tasks.tests.factories import make_task, write_log
from tasks.tests.helpers import wait_finished


def log(page):
    return page.locator('[data-run] [data-bind="log"]')


def test_markup_a_script_prints_is_shown_as_text_and_never_runs(
    page, live_server, sign_in, user, engine, dialogs
):
    task = services.execute(user, "markup")
    wait_finished(task.pk)
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    expect(log(page)).to_contain_text("<script>alert('stdout')</script>")
    expect(log(page)).to_contain_text('<img src=x onerror="alert(1)">')
    expect(log(page)).to_contain_text("<b>not bold</b> &amp; not an entity")
    assert log(page).locator("script, img, b").count() == 0
    page.wait_for_timeout(200)  # give an injected handler its chance to fire
    assert dialogs == []


def test_ansi_colours_become_styles_and_stderr_is_marked(page, live_server, sign_in, user, engine):
    task = services.execute(user, "markup")
    wait_finished(task.pk)
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    expect(log(page).locator("span.fg1")).to_have_text("red")
    expect(log(page).locator("span.fg2.b")).to_have_text("bold green")
    expect(log(page).locator("span.s-err")).to_contain_text("<b>not bold</b>")
    assert "\x1b" not in log(page).text_content()


def test_the_polling_fallback_delivers_the_whole_log_once(page, live_server, sign_in, user, engine):
    task = services.execute(user, "lines", {"count": 300, "delay": 0.003})
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{task.pk}/?live=poll")
    expect(page.locator('[data-run] [data-bind="status"]')).to_have_text("Success", timeout=20_000)
    expected = "".join(f"[{n}/300] line {n}\n" for n in range(1, 301))
    expect(log(page)).to_have_text(expected)


def test_auto_scroll_pauses_when_the_reader_scrolls_up_and_resumes_at_the_bottom(
    page, live_server, sign_in, user
):
    task = make_task(
        user, status=Status.RUNNING, log=[("out", b"".join(b"line %d\n" % n for n in range(300)))]
    )
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    expect(log(page)).to_contain_text("line 299")
    at_bottom = "el => el.scrollTop + el.clientHeight >= el.scrollHeight - 8"
    page.wait_for_function(f"({at_bottom})(document.querySelector('[data-bind=log]'))")
    log(page).hover()
    page.mouse.wheel(0, -100_000)  # the reader scrolls up to the top
    jump = page.get_by_role("button", name="New output below")
    expect(jump).to_be_visible()
    write_log(task, [("out", b"more output\n")])
    live.notify(task.pk)
    expect(log(page)).to_contain_text("more output")
    assert log(page).evaluate("el => el.scrollTop") == 0  # the reader stays where they were
    jump.click()
    expect(jump).to_be_hidden()
    page.wait_for_function(f"({at_bottom})(document.querySelector('[data-bind=log]'))")


def test_a_huge_log_shows_its_tail_and_links_the_whole(page, live_server, sign_in, user, axe):
    lines = b"".join(b"%07d filler filler filler filler filler filler\n" % n for n in range(20_000))
    task = make_task(user, log=[("out", lines[i : i + 65536]) for i in range(0, len(lines), 65536)])
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    expect(log(page)).to_contain_text("0019999 filler")
    expect(page.locator('[data-bind="log-note"]')).to_be_visible()
    assert "0000000 filler" not in log(page).text_content()
    first_line = log(page).text_content().split("\n")[0]
    assert re.fullmatch(r"\d{7}( filler){6}", first_line)  # the tail starts on a whole line
    whole = page.get_by_role("link", name="Open the whole log")
    assert whole.get_attribute("href") == f"/tasks/{task.pk}/log/"
    axe(page)  # the amber note is readable in both themes


def test_the_details_follow_a_running_run(page, live_server, sign_in, user):
    """The details are the server's, drawn at load: they are drawn again when the run
    starts, and their log size follows the log while it runs."""
    task = make_task(user, status=Status.PENDING)
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    details = page.locator("[data-facts=details] .facts")
    expect(details).to_contain_text("Pending")
    assert Task.claim(task.pk, "this test") is not None
    live.notify(task.pk)
    expect(details.locator(".badge")).to_have_text("Running")
    write_log(task, [("out", b"x" * 300 + b"\n")])
    live.notify(task.pk)
    expect(details.locator('[data-live="log-size"]')).to_have_text("301 bytes")
