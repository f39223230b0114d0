"""The run page's log box in a Playwright page: whether a line is in its visible part."""

IN_VIEW = """n => {
    const log = document.querySelector('[data-bind=log]').getBoundingClientRect();
    const line = document.getElementById('L' + n);
    if (!line) return false;
    const box = line.getBoundingClientRect();
    return box.top >= log.top && box.bottom <= log.bottom;
}"""


def in_view(page, number):
    """Whether line `number` is (or within 5 s comes) inside the log's visible box."""
    try:
        page.wait_for_function(IN_VIEW, arg=number, timeout=5000)
    except Exception:
        return False
    return True
