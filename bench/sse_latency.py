"""How long a printed line takes to reach a viewer, and whether every line arrives once.

A script (`bench/scripts/ticker.py`) prints 1,000 lines, one every 10 ms, each stamped
with the time it was printed.
Viewers read the run live and note when each line arrives:

- SSE: the task page's event stream (`/tasks/<id>/events/`), under runserver and uvicorn;
- baseline: the seed's way, polling the whole-log API once a second, in the same run.

Prints p50/p95/max latency per viewer, the ratio to the baseline, and checks that each
viewer got lines 1..N exactly once. Run from the project root:

    .venv/bin/python bench/sse_latency.py [--lines 1000] [--interval 0.01] [--server both]
"""

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BENCH_CATALOG
from bench.server import Server


def cookie_header(session):
    _, jar, _ = session
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def watch_sse(server, session, task_id, arrivals):
    """Read the event stream to its end, noting each line's arrival time."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    connection.request(
        "GET", f"/tasks/{task_id}/events/", headers={"Cookie": cookie_header(session)}
    )
    response = connection.getresponse()
    assert response.status == 200, response.status
    event = None
    pending = ""
    while line := response.readline():
        now = time.time()
        text = line.decode()
        if text.startswith("event: "):
            event = text[7:].strip()
        elif text.startswith("data: ") and event == "log":
            for _, chunk in json.loads(text[6:])["parts"]:
                pending += chunk
                *complete, pending = pending.split("\n")
                arrivals.extend((entry, now) for entry in complete)
        elif text.startswith("data: ") and event == "end":
            break
    connection.close()


def watch_polling(server, session, task_id, arrivals, every=1.0):
    """The seed's viewer: fetch the whole log once a second, keep what is new."""
    opener = session[0]
    seen = 0
    while True:
        with opener.open(f"{server.url}/api/tasks/{task_id}/logs") as response:
            body = json.loads(response.read())
        now = time.time()
        lines = body["logs"].split("\n")[:-1]
        arrivals.extend((entry, now) for entry in lines[seen:])
        seen = len(lines)
        if body["complete"]:
            return
        time.sleep(every)


def summarise(name, arrivals, count):
    numbers = []
    latencies = []
    for entry, arrived in arrivals:
        _, number, printed = entry.split()
        numbers.append(int(number))
        latencies.append((arrived - float(printed)) * 1000)
    intact = numbers == list(range(1, count + 1))
    cuts = statistics.quantiles(latencies, n=100)
    result = {
        "name": name,
        "p50": statistics.median(latencies),
        "p95": cuts[94],
        "max": max(latencies),
        "intact": intact,
        "lines": len(numbers),
    }
    print(
        f"  {name:<22} p50 {result['p50']:7.1f} ms   p95 {result['p95']:7.1f} ms   "
        f"max {result['max']:7.1f} ms   lines {len(numbers)}   "
        f"{'all once, in order' if intact else 'LOST OR REPEATED LINES'}"
    )
    return result


def measure(kind, lines, interval):
    print(f"{kind}: {lines} lines, one every {interval * 1000:g} ms")
    with Server(kind, catalog=BENCH_CATALOG) as server:
        session = server.session()
        sse, polled = [], []
        task_id = server.execute(session, "ticker", {"lines": lines, "interval": interval})
        viewers = [
            threading.Thread(target=watch_sse, args=(server, session, task_id, sse)),
            threading.Thread(target=watch_polling, args=(server, session, task_id, polled)),
        ]
        for viewer in viewers:
            viewer.start()
        for viewer in viewers:
            viewer.join()
        ours = summarise("SSE", sse, lines)
        baseline = summarise("poll 1/s (seed)", polled, lines)
    print(
        f"  ratio SSE/seed: p50 {ours['p50'] / baseline['p50']:.3f}, "
        f"p95 {ours['p95'] / baseline['p95']:.3f}"
    )
    return ours, baseline


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=0.01)
    parser.add_argument("--server", choices=["runserver", "uvicorn", "both"], default="both")
    options = parser.parse_args()
    kinds = ["runserver", "uvicorn"] if options.server == "both" else [options.server]
    results = [measure(kind, options.lines, options.interval) for kind in kinds]
    if not all(ours["intact"] and base["intact"] for ours, base in results):
        sys.exit("some viewer lost or repeated lines")


if __name__ == "__main__":
    main()
