"""The viewer part of output_throughput.py: the same runs through a real server, with
nobody watching (the baseline), one Chromium page, and N Server-Sent-Events clients.

    .venv/bin/python bench/output_throughput.py --viewers [--sse 50] [--server runserver]

Each run is timed started -> completed as the server's row records it. A browser tab,
open before the runs, goes to the run's page as the run starts and follows the live log
(skipping ahead during the flood, as a page does); the stream clients each read
/tasks/<id>/events/ to its end and check that the log events they got cover every byte
of the run, offset after offset, with nothing missing. How long after the run each viewer
was done is printed too: a viewer may fall behind during a flood and catch up afterwards.
"""

import http.client
import json
import os
import re
import statistics
import sys
import threading
import time
import urllib.parse
from datetime import datetime

from common import BENCH_CATALOG, ROOT
from server import Server

sys.path.insert(0, str(ROOT))

# No anchor: a literal start lets `re` search at C speed (JSON escapes the quotes of any
# such text inside a log line, so it only matches an event's own data line).
LOG_HEADER = re.compile(rb'data: \{"offset":(\d+),"next_offset":(\d+)')


def parse_time(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def task_row(server, session, task_id):
    with session[0].open(f"{server.url}/api/tasks/{task_id}") as response:
        return json.loads(response.read())["task"]


def wait_row(server, session, task_id):
    while True:
        row = task_row(server, session, task_id)
        if row["completed_at"]:
            return row, time.monotonic()
        time.sleep(0.1)


def last_stored_line(server, session, task_id):
    """The log's last line as stored, which the page shows last. Not the script's last
    line by number: with both streams busy the engine stores them in the order it read
    the two pipes, and when it was behind at the end, up to a read's worth of one stream
    follows the other's last line. Waiting for line N - 1 (a stderr line with --stream
    both) waited for a line that had been more than the page's 5,000 lines from the end."""
    with session[0].open(f"{server.url}/tasks/{task_id}/log/window/") as response:
        parts = json.loads(response.read())["parts"]
    text = "".join(part[1] for part in parts)
    return text.rstrip("\n").rsplit("\n", 1)[-1]


class StreamClient(threading.Thread):
    """Reads one run's event stream to its end, checking that the log is contiguous."""

    def __init__(self, server, cookie, task_id):
        super().__init__(daemon=True)
        self.address = urllib.parse.urlsplit(server.url)
        self.cookie = cookie
        self.path = f"/tasks/{task_id}/events/"
        self.position = 0  # offset after the last log byte received
        self.gaps = 0
        self.ended_at = None
        self.error = None

    def run(self):
        try:
            self._read()
        except Exception as exc:  # reported, not raised: the benchmark prints it
            self.error = repr(exc)

    def _read(self):
        connection = http.client.HTTPConnection(self.address.hostname, self.address.port)
        connection.request("GET", self.path, headers={"Cookie": self.cookie})
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        self.response = response
        self.buffer = bytearray()
        while True:
            name, end = self._next_event()
            if name == b"end":
                self.ended_at = time.monotonic()
                connection.close()
                return
            del self.buffer[:end]

    def _more(self):
        data = self.response.read1(1 << 20)
        if not data:
            raise RuntimeError("the stream closed before its end event")
        self.buffer += data

    def _next_event(self):
        """(the next event's name, where it ends in the buffer). A log event's data is
        at least as long as the output it carries, so the search for its end starts
        there: the client does not scan 45 MB per viewer (its CPU is the machine's)."""
        # find(..., start), not `in buffer[start:]`: a slice copies up to a read's MiB.
        while (start := self.buffer.find(b"event: ")) == -1 or self.buffer.find(b"\n", start) < 0:
            self._more()
        name = bytes(self.buffer[start + 7 : self.buffer.index(b"\n", start)])
        skip = start
        if name == b"log":
            while (header := LOG_HEADER.search(self.buffer, start, start + 200)) is None:
                self._more()
            first, after = int(header.group(1)), int(header.group(2))
            if first != self.position:
                self.gaps += 1
            self.position = after
            skip = header.end() + (after - first)
        while (end := self.buffer.find(b"\n\n", skip)) == -1:
            skip = max(skip, len(self.buffer) - 1)
            self._more()
        return name, end + 2


def cpu_seconds(pid):
    """User + system CPU of a process so far, from /proc (its threads included)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(server, session, params, mode, browser_tab, sse):
    server_cpu, own_cpu = cpu_seconds(server.process.pid), time.process_time()
    task_id = server.execute(session, "million_lines", params)
    clients, page = [], None
    if mode == "sse":
        cookie = "; ".join(f"{c.name}={c.value}" for c in session[1])
        clients = [StreamClient(server, cookie, task_id) for _ in range(sse)]
        for client in clients:
            client.start()
    elif mode == "browser":
        page = browser_tab
        page.goto(f"{server.url}/tasks/{task_id}/")
    row, seen_at = wait_row(server, session, task_id)
    assert row["status"] == "success", row
    seconds = (parse_time(row["completed_at"]) - parse_time(row["started_at"])).total_seconds()
    caught_up, note = 0.0, ""
    if page is not None:
        last = last_stored_line(server, session, task_id)
        page.wait_for_function(
            """(last) => {
                const badge = document.querySelector('[data-run] [data-bind="status"]');
                const log = document.querySelector('[data-run] [data-bind="log"]');
                return badge && badge.textContent === "Success" && log.textContent.includes(last);
            }""",
            arg=last,
            timeout=600_000,
            polling=100,
        )
        caught_up = time.monotonic() - seen_at
        note = "last line on screen"
        page.goto("about:blank")  # watches nothing until the next browser run
    for client in clients:
        client.join(600)
    cpu = (cpu_seconds(server.process.pid) - server_cpu, time.process_time() - own_cpu)
    if clients:
        caught_up = max(c.ended_at or time.monotonic() for c in clients) - seen_at
        complete = sum(
            c.error is None and c.gaps == 0 and c.position == row["log_bytes"] for c in clients
        )
        errors = {c.error for c in clients if c.error}
        note = f"{complete}/{len(clients)} got every byte" + (f" {errors}" if errors else "")
    note = f"server CPU {cpu[0]:.1f} s, clients' {cpu[1]:.1f} s; {note}"
    return seconds, caught_up, note


def warm_up(server, session, tab):
    """The tab opens a short run's page once before the timed runs, so that the first
    timed page does not pay for the server's first render of a run page (its templates
    compiled, its translations loaded), which no later page pays."""
    task_id = server.execute(session, "million_lines", {"lines": 10})
    wait_row(server, session, task_id)
    tab.goto(f"{server.url}/tasks/{task_id}/")
    tab.wait_for_selector('[data-run][data-finished] [data-bind="log"] .line')
    tab.goto("about:blank")


def main(options):
    from playwright.sync_api import sync_playwright

    from tasks.tests.browser.chromium import launch_options

    env = {"EXECUTOR_MAX_LOG_BYTES": "256M"}
    modes = ("none", "browser", "sse")
    print(
        f"lines: {options.lines:,}  rounds: {options.rounds}  server: {options.server}  "
        f"stream viewers: {options.sse}"
    )
    print("baseline: the same run through the same server with nobody watching")
    with Server(options.server, catalog=BENCH_CATALOG, env=env) as server:
        session = server.session()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**launch_options())
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_cookies(server.cookies_for_browser(session))
            # One tab, open before the runs, that goes to each run's page as the run
            # starts (as a user's tab does from the run form): a new headless window for
            # each run cost Chromium more CPU (its own UI renderer) than the page did.
            tab = context.new_page()
            warm_up(server, session, tab)
            for variant in options.variants:
                how, stream = variant.split("/")
                params = {"lines": options.lines, "how": how, "stream": stream}
                times = {mode: [] for mode in modes}
                notes = {mode: [] for mode in modes}
                for _ in range(options.rounds):
                    for mode in modes:  # interleaved: each mode sees the same machine
                        seconds, caught_up, note = one_run(
                            server, session, params, mode, tab, options.sse
                        )
                        times[mode].append(seconds)
                        notes[mode].append(f"{caught_up:.1f} s after; {note}".strip("; "))
                base = statistics.median(times["none"])
                for mode in modes:
                    median = statistics.median(times[mode])
                    ratios = [t / base for t in times[mode]]
                    target = {"browser": "  (target <= 1.10x)", "sse": "  (target <= 1.50x)"}
                    print(
                        f"{variant:13s} {mode:8s} {median * 1000:7.0f} ms  {median / base:.3f}x "
                        f"(rounds {min(ratios):.2f}-{max(ratios):.2f}x){target.get(mode, '')}"
                    )
                    if True:
                        print(f"{'':23s} viewer done: {' | '.join(notes[mode])}")
            browser.close()
