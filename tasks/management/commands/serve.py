"""`manage.py serve` (what ./bin/serve runs): Django's development server, `runserver`
with its options and static files, made to take bursts and to stop cleanly.

- It listens with a backlog of BACKLOG connections instead of runserver's 10, so that a
  burst of a hundred clients waits in the kernel's queue instead of being reset.
- SIGINT (Ctrl-C) or SIGTERM stops it gracefully: the engine interrupts the runs going
  (SIGTERM to each run's tree, the grace period, SIGKILL), records them as interrupted,
  and the server exits; a second Ctrl-C exits at once. Plain `runserver` cannot: its
  reloader process kills the server 0.25 s after Ctrl-C and at once on SIGTERM, and
  without the reloader SIGTERM kills it outright. Here the reloader's process passes
  either signal on to the server as SIGTERM and waits for it.
"""

import contextlib
import os
import signal
import subprocess
import sys

from django.core.servers.basehttp import WSGIServer
from django.utils import autoreload
from whitenoise.runserver_nostatic.management.commands.runserver import (
    Command as RunserverCommand,
)

BACKLOG = 1024  # the kernel caps it at net.core.somaxconn (4096 on current Linux)


class BurstWSGIServer(WSGIServer):
    """runserver's server with a listen backlog that holds a burst."""

    request_queue_size = BACKLOG


class Command(RunserverCommand):
    help = "Start the development server (runserver) with a deep backlog and a clean stop."
    server_cls = BurstWSGIServer

    def run(self, **options):
        if options["use_reloader"] and os.environ.get(autoreload.DJANGO_AUTORELOAD_ENV) != "true":
            sys.exit(run_reloader_parent())
        if not options["use_reloader"]:
            # The reloader's child turns SIGTERM into an exit itself; the server alone
            # would die of it at once, leaving its runs to recovery.
            signal.signal(signal.SIGTERM, _exit)
        super().run(**options)


def run_reloader_parent() -> int:
    """Django's restart_with_reloader, passing a stop on instead of killing the server
    (subprocess.run kills its child on an interrupt, before it could stop its runs)."""
    environ = {**os.environ, autoreload.DJANGO_AUTORELOAD_ENV: "true"}
    while True:
        server = subprocess.Popen(autoreload.get_child_arguments(), env=environ, close_fds=False)

        def pass_on(signum, frame, server=server):
            with contextlib.suppress(ProcessLookupError):
                server.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGINT, pass_on)
        signal.signal(signal.SIGTERM, pass_on)
        code = server.wait()
        if code != 3:  # 3: the reloader asks for a restart
            return code


def _exit(signum, frame):
    sys.exit(0)
