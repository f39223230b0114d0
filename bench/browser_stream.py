"""Does the task page stay responsive while a 1,000,000-line run streams into it?

Chromium (Debian's, headless) opens the task page of a `big_output` run the moment it
starts and follows it to the end. The page records every long task (main thread busy
over 50 ms, PerformanceObserver "longtask") and every frame interval (requestAnimationFrame).
The baseline is the same page, idle, measured for the same time in the same run.

    .venv/bin/python bench/browser_stream.py [--lines 1000000] [--server runserver]
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import Server
from tasks.tests.browser.chromium import launch_options

PROBE = """
window.__perf = {longTasks: [], frames: []};
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__perf.longTasks.push(entry.duration);
}).observe({type: "longtask", buffered: true});
let last = null;
function frame(now) {
  if (last !== null) window.__perf.frames.push(now - last);
  last = now;
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
"""


def figures(perf, seconds):
    frames = sorted(perf["frames"])
    long_tasks = perf["longTasks"]
    return {
        "seconds": seconds,
        "frames": len(frames),
        "frame_p50": statistics.median(frames),
        "frame_p95": statistics.quantiles(frames, n=100)[94],
        "frame_max": frames[-1],
        "long_tasks": len(long_tasks),
        "long_total": sum(long_tasks),
        "long_max": max(long_tasks, default=0.0),
        "busy_share": sum(long_tasks) / (seconds * 1000),
    }


def show(name, result):
    print(
        f"  {name:<10} {result['seconds']:5.1f} s, {result['frames']} frames: "
        f"interval p50 {result['frame_p50']:5.1f} ms, p95 {result['frame_p95']:5.1f} ms, "
        f"max {result['frame_max']:6.1f} ms; long tasks {result['long_tasks']} "
        f"(total {result['long_total']:.0f} ms, longest {result['long_max']:.0f} ms, "
        f"{result['busy_share']:.1%} of the time)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--server", choices=["runserver", "uvicorn"], default="runserver")
    options = parser.parse_args()
    # A cap above the run's size: every byte goes through the page.
    with Server(options.server, env={"EXECUTOR_MAX_LOG_BYTES": "200M"}) as server:
        session = server.session()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**launch_options())
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_cookies(server.cookies_for_browser(session))
            context.add_init_script(PROBE)
            page = context.new_page()

            task_id = server.execute(session, "big_output", {"lines": options.lines})
            started = time.monotonic()
            page.goto(f"{server.url}/tasks/{task_id}/")
            last_line = f"line {options.lines:08d} of output"
            page.wait_for_function(
                """(last) => {
                    const badge = document.querySelector('[data-run] [data-bind="status"]');
                    const log = document.querySelector('[data-run] [data-bind="log"]');
                    return badge.textContent === "Success" && log.textContent.includes(last);
                }""",
                arg=last_line,
                timeout=600_000,
                polling=100,
            )
            streaming = figures(page.evaluate("window.__perf"), time.monotonic() - started)
            nodes = page.evaluate("document.querySelectorAll('[data-bind=log] *').length + 0")
            lines_shown = page.evaluate(
                "document.querySelector('[data-bind=log]').textContent.split('\\n').length - 1"
            )
            with session[0].open(f"{server.url}/api/tasks/{task_id}") as response:
                log_bytes = json.loads(response.read())["task"]["log_bytes"]

            idle_page = context.new_page()
            idle_page.goto(f"{server.url}/tasks/{task_id}/")
            idle_page.wait_for_function(
                "(last) => document.querySelector('[data-bind=log]').textContent.includes(last)",
                arg=last_line,
            )
            idle_page.evaluate("window.__perf = {longTasks: [], frames: []}")
            idle_page.wait_for_timeout(min(streaming["seconds"], 10) * 1000)
            idle = figures(idle_page.evaluate("window.__perf"), min(streaming["seconds"], 10))
            browser.close()
    print(
        f"{options.server}: {options.lines:,} lines ({log_bytes / 1e6:.1f} MB) streamed into "
        "the task page; "
        f"{lines_shown:,} lines on screen at the end ({nodes} elements in the log)"
    )
    show("streaming", streaming)
    show("idle", idle)
    print(
        f"  ratio streaming/idle: frame p95 {streaming['frame_p95'] / idle['frame_p95']:.2f}, "
        f"frame max {streaming['frame_max'] / idle['frame_max']:.2f}"
    )


if __name__ == "__main__":
    main()
