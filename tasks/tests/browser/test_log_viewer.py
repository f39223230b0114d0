"""The log viewer: numbered lines, #L links that survive a reload, ::group:: folding,
search with next/previous and a count, wrapping on or off, and colours and groups kept
in the windows of a long log fetched by line."""

import pytest
from playwright.sync_api import expect

from tasks.models import Status
from tasks.tests.factories import make_task, write_log

FRUIT = b"".join((b"apple %d\n" if n % 10 == 0 else b"pear %d\n") % n for n in range(1, 301))
GROUPED = b"before\n::group::Set up\nstep a\nstep b\n::endgroup::\nafter\n"


def log(page):
    return page.locator('[data-run] [data-bind="log"]')


def line(page, number):
    return log(page).locator(f"#L{number}")


def in_view(page, number):
    return page.evaluate(
        """n => {
            const log = document.querySelector('[data-bind=log]').getBoundingClientRect();
            const line = document.getElementById('L' + n).getBoundingClientRect();
            return line.top >= log.top && line.bottom <= log.bottom;
        }""",
        number,
    )


def test_lines_are_numbered_and_the_numbers_are_not_text(page, live_server, sign_in, user):
    task = make_task(user, output=FRUIT)
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    expect(line(page, 300)).to_have_text("apple 300\n")
    assert line(page, 1).get_attribute("data-n") == "1"
    assert log(page).text_content() == FRUIT.decode()


def test_a_line_link_scrolls_there_and_survives_a_reload(page, live_server, sign_in, user):
    task = make_task(user, output=FRUIT)
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{task.pk}/#L120")
    expect(line(page, 120)).to_have_class("line target")
    assert in_view(page, 120)
    assert not in_view(page, 300)  # it did not follow to the end
    page.reload()
    expect(line(page, 120)).to_have_class("line target")
    assert in_view(page, 120)
    box = line(page, 125).bounding_box()
    page.mouse.click(box["x"] + 10, box["y"] + box["height"] / 2)  # on its number
    expect(page).to_have_url(f"{live_server.url}/tasks/{task.pk}/#L125")
    expect(line(page, 125)).to_have_class("line target")


def test_a_group_folds_and_unfolds(page, live_server, sign_in, user):
    task = make_task(user, output=GROUPED)
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    fold = log(page).get_by_role("button", name="Set up")
    expect(fold).to_have_attribute("aria-expanded", "true")
    expect(log(page).get_by_text("step a")).to_be_visible()
    fold.click()
    expect(fold).to_have_attribute("aria-expanded", "false")
    expect(log(page).get_by_text("step a")).to_be_hidden()
    expect(log(page).get_by_text("after")).to_be_visible()
    expect(line(page, 6)).to_have_text("after\n")  # the lines keep their numbers
    fold.click()
    expect(log(page).get_by_text("step b")).to_be_visible()


def test_search_counts_the_matches_and_steps_through_them(page, live_server, sign_in, user):
    task = make_task(user, output=FRUIT)
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    expect(line(page, 300)).to_be_attached()
    count = page.locator('[data-bind="find-count"]')
    page.get_by_role("searchbox", name="Search the log").fill("APPLE")
    expect(count).to_have_text("1 of 30")
    expect(line(page, 10)).to_have_class("line found found-current")
    assert in_view(page, 10)
    page.get_by_role("button", name="Next match").click()
    expect(count).to_have_text("2 of 30")
    assert in_view(page, 20)
    page.get_by_role("button", name="Previous match").click()
    page.get_by_role("button", name="Previous match").click()
    expect(count).to_have_text("30 of 30")
    assert in_view(page, 300)
    page.get_by_role("searchbox", name="Search the log").fill("kiwi")
    expect(count).to_have_text("No matches")


def test_wrapping_can_be_turned_off(page, live_server, sign_in, user):
    task = make_task(user, status=Status.SUCCESS, output=b"word " * 400 + b"\n")
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    wrap = page.get_by_role("button", name="Wrap lines")
    expect(wrap).to_have_attribute("aria-pressed", "true")
    assert log(page).evaluate("el => el.scrollWidth <= el.clientWidth")
    wrap.click()
    expect(wrap).to_have_attribute("aria-pressed", "false")
    assert log(page).evaluate("el => el.scrollWidth > el.clientWidth")


def test_arrival_times_shown_pass_axe(page, live_server, sign_in, user, axe):
    """The times column in both themes (test_long_log checks the times themselves; axe over
    the 25,000 lines a long log's window holds takes half a minute)."""
    task = make_task(user, output=FRUIT)
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    times = page.get_by_role("button", name="Times of arrival")
    times.click()
    expect(times).to_have_attribute("aria-pressed", "true")
    assert line(page, 1).get_attribute("data-t")
    axe(page)


SPECIAL = {
    197_000: b"::group::Earlier step",
    197_010: b"::endgroup::",
    199_000: b"\x1b[35mline 199000 turns magenta",
    199_960: b"::group::Across the jump",
    199_980: b"::endgroup::",
    210_000: b"\x1b[0mline 210000 plain again",
}


@pytest.fixture
def coloured_long_run(user):
    """300,000 lines (far more than a window holds) in chunks of 4096 lines, with a
    colour set on line 199,000 and reset on line 210,000, and two groups: one well above
    line 200,000, one whose head is above it and whose end is below."""
    task = make_task(user)
    chunks = []
    for first in range(1, 300_001, 4096):
        numbers = range(first, min(first + 4096, 300_001))
        chunks.append(("out", b"".join(SPECIAL.get(n, b"line %d" % n) + b"\n" for n in numbers)))
    write_log(task, chunks)
    return task


def test_windows_fetched_away_from_the_start_keep_colours_and_groups(
    page, live_server, sign_in, user, coloured_long_run
):
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{coloured_long_run.pk}/#L200000")
    expect(line(page, 200_000)).to_have_class("line target")
    # The window starts at line 199,970, after the colour was set: it starts magenta.
    assert line(page, 199_970).locator("span.fg5").count() == 1
    assert line(page, 200_000).locator("span.fg5").count() == 1
    log(page).hover()
    for _ in range(20):  # up, past line 199,000 and the first group
        page.mouse.wheel(0, -20_000)
        page.wait_for_timeout(50)
        if page.evaluate("() => !!document.getElementById('L196990')"):
            break
    expect(line(page, 196_990)).to_be_attached()
    assert line(page, 199_500).locator("span.fg5").count() == 1  # drawn above, in colour
    assert line(page, 198_999).locator("span").count() == 0  # before it was set: plain
    # A group in the lines put above folds like any other.
    earlier = log(page).get_by_role("button", name="Earlier step")
    earlier.click()
    expect(earlier).to_have_attribute("aria-expanded", "false")
    expect(line(page, 197_005)).to_be_hidden()
    expect(line(page, 197_011)).to_be_visible()
    # A group whose head came above the lines first shown takes them in.
    across = log(page).get_by_role("button", name="Across the jump")
    across.click()
    expect(line(page, 199_975)).to_be_hidden()
    expect(line(page, 199_981)).to_be_visible()
    across.click()
    expect(line(page, 199_975)).to_be_visible()


def test_a_page_that_opens_at_the_tail_of_a_long_log_keeps_its_colour(
    page, live_server, sign_in, user
):
    task = make_task(user)
    lines = [b"\x1b[36mline 1 turns cyan\n"] + [b"line %d\n" % n for n in range(2, 100_001)]
    write_log(task, [("out", b"".join(lines[i : i + 4096])) for i in range(0, len(lines), 4096)])
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    expect(line(page, 100_000)).to_have_text("line 100000\n")
    expect(line(page, 1)).to_have_count(0)  # the page holds the tail, not the start
    expect(line(page, 100_000).locator("span.fg6")).to_have_count(1)
