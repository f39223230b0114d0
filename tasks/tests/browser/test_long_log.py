"""A 10,000,000-line log on the run page: the page holds a window of it and fetches lines
by offset as the reader scrolls, jumps to a line (#L links, "Go to line", the end) or
steps through the server's search, never the whole log.

The log is written straight into the database as chunk rows with their line index
(factories.write_long_log), as the engine would have written them, in a few seconds.
"""

import pytest
from playwright.sync_api import expect

from tasks.tests.browser.log_box import in_view
from tasks.tests.factories import make_task, write_long_log

LINES = 10_000_000
MARKED = (1_234_567, 7_654_321, 9_999_990)
HELD_AT_MOST = 25_000  # lines on the page at any time, whatever the log's length
WHOLE_LOG_BYTES = 128_888_897  # "line 1\n" ... "line 10000000\n"


@pytest.fixture
def long_run(user):
    task = make_task(user)
    assert write_long_log(task, LINES, marked=MARKED) == WHOLE_LOG_BYTES + 7 * len(MARKED)
    return task


@pytest.fixture
def opened(page, live_server, sign_in, user, long_run):
    """open(fragment=""): the long run's page, with every response's size recorded."""
    sizes = []
    page.on("response", lambda response: sizes.append((response.url, _size(response))))
    sign_in(page, user)

    def open(fragment=""):
        page.goto(f"{live_server.url}/tasks/{long_run.pk}/{fragment}")
        return sizes

    return open


def _size(response):
    try:
        return len(response.body())
    except Exception:  # an event stream's body is not kept
        return 0


def log(page):
    return page.locator('[data-run] [data-bind="log"]')


def held(page):
    """(first line number, last line number, lines held) in the page's log."""
    return page.evaluate(
        """() => {
            const lines = document.querySelectorAll('[data-bind=log] .line[id]');
            return [+lines[0].dataset.n, +lines[lines.length - 1].dataset.n, lines.length];
        }"""
    )


def assert_never_the_whole_log(sizes):
    assert not [url for url, _ in sizes if url.endswith("/log/")]  # the whole-log link
    assert max(size for _, size in sizes) < 2 * 1024 * 1024, sorted(sizes, key=lambda s: -s[1])[:3]


def test_the_page_opens_at_the_end_and_scrolling_up_fetches_earlier_lines(page, opened):
    sizes = opened()
    expect(log(page).locator("#L10000000")).to_have_text("line 10000000\n")
    expect(page.locator('[data-bind="log-position"]')).to_contain_text("of 10,000,000")
    first, last, count = held(page)
    assert last == LINES
    assert count <= HELD_AT_MOST
    log(page).hover()
    for _ in range(40):  # the reader scrolls up, and up
        page.mouse.wheel(0, -30_000)
        page.wait_for_timeout(50)
    page.wait_for_function(
        "first => +document.querySelector('[data-bind=log] .line[id]').dataset.n < first",
        arg=first,
    )
    earlier, _, count = held(page)
    assert earlier < first
    assert count <= HELD_AT_MOST
    # The numbers are the log's own: line n reads "line n".
    expect(log(page).locator(f"#L{earlier}")).to_have_text(f"line {earlier}\n")
    assert_never_the_whole_log(sizes)


def test_a_line_link_and_go_to_line_fetch_that_part_of_the_log(page, opened):
    sizes = opened("#L5000000")
    target = log(page).locator("#L5000000")
    expect(target).to_have_text("line 5000000\n")
    expect(target).to_have_class("line target")
    assert in_view(page, 5_000_000)
    expect(log(page).locator(".line.target")).to_have_count(1)
    page.get_by_label("Go to line").fill("8765432")
    page.get_by_role("button", name="Go to line").click()
    target = log(page).locator("#L8765432")
    expect(target).to_have_text("line 8765432\n")
    expect(target).to_have_class("line target")
    assert in_view(page, 8_765_432)
    expect(log(page).locator(".line.target")).to_have_count(1)
    expect(page).to_have_url(page.url.split("#")[0] + "#L8765432")
    # It stays there while the lines above it are fetched (the window is near their end).
    page.wait_for_function(
        "n => +document.querySelector('[data-bind=log] .line[id]').dataset.n < n - 1000",
        arg=8_765_432,
    )
    assert in_view(page, 8_765_432)
    # The end again, from the button that leaves the window.
    page.get_by_role("button", name="New output below").click()
    expect(log(page).locator("#L10000000")).to_be_attached()
    assert held(page)[2] <= HELD_AT_MOST
    assert_never_the_whole_log(sizes)


def test_a_missing_line_is_refused_with_the_log_s_length(page, opened):
    opened()
    expect(log(page).locator("#L10000000")).to_be_attached()
    page.get_by_label("Go to line").fill("10000001")
    page.get_by_role("button", name="Go to line").click()
    expect(page.locator('[data-bind="log-position"]')).to_have_text(
        "The log has 10,000,000 lines, there is no line 10,000,001."
    )


def test_the_server_search_counts_and_steps_through_the_whole_log(page, opened):
    sizes = opened()
    expect(log(page).locator("#L10000000")).to_be_attached()
    count = page.locator('[data-bind="find-count"]')
    page.get_by_role("searchbox", name="Search the log").fill("needle")
    expect(count).to_have_text("1 of 3", timeout=30_000)
    current = log(page).locator(".line.found-current")
    expect(current).to_have_text("line 1234567 needle\n")
    assert in_view(page, 1_234_567)
    page.get_by_role("button", name="Next match").click()
    expect(count).to_have_text("2 of 3", timeout=30_000)
    expect(current).to_have_text("line 7654321 needle\n")
    assert in_view(page, 7_654_321)
    page.get_by_role("button", name="Next match").click()
    expect(count).to_have_text("3 of 3", timeout=30_000)
    expect(current).to_have_text("line 9999990 needle\n")
    page.get_by_role("button", name="Next match").click()  # past the last: the first
    expect(count).to_have_text("1 of 3", timeout=30_000)
    page.get_by_role("button", name="Previous match").click()  # before the first: the last
    expect(count).to_have_text("3 of 3", timeout=30_000)
    expect(current).to_have_text("line 9999990 needle\n")
    page.get_by_role("searchbox", name="Search the log").fill("haystack")
    expect(count).to_have_text("No matches", timeout=30_000)
    assert_never_the_whole_log(sizes)


def test_each_line_shows_its_arrival_time_on_demand(page, opened):
    opened("#L4097")
    first_chunk, second_chunk = log(page).locator("#L4096"), log(page).locator("#L4097")
    expect(second_chunk).to_have_class("line target")
    times = page.get_by_role("button", name="Times of arrival")
    expect(times).to_have_attribute("aria-pressed", "false")
    stamp = "el => getComputedStyle(el, '::before').content"
    assert first_chunk.evaluate(stamp) == '"4096"'
    times.click()
    expect(times).to_have_attribute("aria-pressed", "true")
    # One chunk of 4096 lines arrived a millisecond before the next (write_long_log).
    before, after = first_chunk.get_attribute("data-t"), second_chunk.get_attribute("data-t")
    assert before != after
    assert before[-3:] != after[-3:]
    assert first_chunk.evaluate(stamp) == f'"{before}  4096"'
    # axe over this window's lines: test_log_viewer.test_arrival_times_shown_pass_axe


TOP_IN_VIEW = """() => {
            const log = document.querySelector('[data-bind=log]').getBoundingClientRect();
            const hit = document.elementFromPoint(log.left + log.width / 2, log.top + 4);
            const line = hit && hit.closest('.line[id]');
            return line ? +line.dataset.n : null;
        }"""


def test_scrolling_down_after_a_jump_shows_the_following_lines_in_order(page, opened):
    sizes = opened("#L5000000")
    assert in_view(page, 5_000_000)
    log(page).hover()
    page_scrolled = page.evaluate("scrollY")
    tops = []
    for _ in range(30):  # the reader reads on, downwards, past what the jump fetched
        page.mouse.wheel(0, 10_000)
        page.wait_for_timeout(100)
        tops.append(page.evaluate(TOP_IN_VIEW))
    # At the box's end before the next lines came, the wheel went on to scroll the page,
    # and the box out of view (overscroll-behavior: contain while it holds part of a log).
    assert page.evaluate("scrollY") == page_scrolled
    first, last, count = held(page)
    assert last - first + 1 == count  # no line missing between the first held and the last
    assert count <= HELD_AT_MOST
    assert all(top is not None for top in tops), repr((tops, first, last, count))
    assert tops == sorted(tops)  # never back up, never away to the end
    assert 5_005_000 < tops[-1] < 5_100_000, tops
    assert last < LINES
    expect(log(page).locator(f"#L{tops[-1]}")).to_have_text(f"line {tops[-1]}\n")
    assert_never_the_whole_log(sizes)
