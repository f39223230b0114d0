"""Server memory while 8 clients read a 64 MiB log at once (GET /api/tasks/<id>/logs,
the seed's whole-log form), and after.

    .venv/bin/python bench/log_readers.py [--mib 64] [--readers 8]

Builds a throwaway SQLite database with one run whose log is `--mib` MiB of 64 KiB
chunks, then, in this one run, starts `manage.py serve --noreload` twice on it:

- the baseline: the same server answering the whole log as one ordinary response (the
  log read into one string, then rendered, as the API did before: what a user had);
- the streamed form (tasks/api/whole_log.py).

Each time: the server's resident memory when idle (after one warm-up read), its peak
while the readers read (sampled every 20 ms), and 2 s after they finished; and the
time the readers took. Numbers, not pass/fail: record them in docs/benchmarks.md.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import ROOT, bench_user, setup

MiB = 1024 * 1024
# The server, with the whole-log threshold raised for the baseline.
SERVER = """
import sys, django
django.setup()
from tasks.api import whole_log
whole_log.STREAM_FROM = int(sys.argv.pop(1))
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", *sys.argv[1:]])
"""


def make_log(mib):
    from rest_framework.authtoken.models import Token

    from tasks.models import MAX_CHUNK, LogChunk, Status, Task

    user = bench_user()
    task = Task.objects.create(
        script="bench", user=user, user_name=user.username, timeout=60, script_path="bench.py"
    )
    line = b"a line of a long log, with some text in it to make it look like output 0123456789\n"
    data = (line * (MAX_CHUNK // len(line) + 1))[:MAX_CHUNK]
    size = mib * MiB
    LogChunk.objects.bulk_create(
        (LogChunk(task=task, offset=o, stream="out", data=data) for o in range(0, size, MAX_CHUNK)),
        batch_size=100,
    )
    Task.objects.filter(pk=task.pk).update(status=Status.SUCCESS, log_bytes=size)
    token, _ = Token.objects.get_or_create(user=user)
    return task.pk, token.key


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure(label, stream_from, task_id, token, readers):
    import psutil

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(stream_from), "serve", f"127.0.0.1:{port}",
         "--noreload", "--skip-checks"],
        cwd=ROOT, env=os.environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api/tasks/{task_id}/logs"

    def read():
        request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
        with urllib.request.urlopen(request, timeout=600) as response:
            return len(json.loads(response.read())["logs"])

    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        process = psutil.Process(server.pid)
        read()
        time.sleep(1)
        idle = process.memory_info().rss
        peak, done = idle, threading.Event()

        def sample():
            nonlocal peak
            while not done.wait(0.02):
                peak = max(peak, process.memory_info().rss)

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.monotonic()
        threads = [threading.Thread(target=read) for _ in range(readers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        took = time.monotonic() - started
        done.set()
        sampler.join()
        time.sleep(2)
        after = process.memory_info().rss
    finally:
        server.kill()
        server.wait()
    print(
        f"| {label} | {idle / MiB:.0f} MiB | +{(peak - idle) / MiB:.0f} MiB "
        f"| +{(after - idle) / MiB:.0f} MiB | {took:.1f} s |",
        flush=True,
    )
    return peak - idle


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--readers", type=int, default=8)
    options = parser.parse_args()
    setup(DJANGO_TESTING="1", EXECUTOR_BACKEND="record")
    task_id, token = make_log(options.mib)
    print(f"{options.readers} concurrent readers of a {options.mib} MiB log\n")
    print("| server | idle | peak above idle | 2 s after | readers' time |")
    print("| --- | ---: | ---: | ---: | ---: |")
    baseline = measure("baseline: one response", 10**15, task_id, token, options.readers)
    streamed = measure("streamed", 1024 * 1024, task_id, token, options.readers)
    print(f"\npeak above idle, streamed / baseline: {streamed / baseline:.3f}x")


if __name__ == "__main__":
    main()
