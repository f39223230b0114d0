"""`manage.py runserver` (and `manage.py serve`, what ./bin/serve runs): Django's
development server with its options and static files, made to take bursts and to stop
cleanly. This app comes before Django's and WhiteNoise's in INSTALLED_APPS, so plain
`runserver`, what a user types, is this one.

- It listens with a backlog of BACKLOG connections instead of runserver's 10, so that a
  burst of a hundred clients waits in the kernel's queue instead of being reset.
- On a database server it serves at most EXECUTOR_SERVE_THREADS requests at once
  (runserver starts a thread, and so a database connection, for every connection it
  accepts): a burst beyond that waits in the backlog instead of taking more connections
  than PostgreSQL allows (100 by default), which failed requests with a 500 and could
  leave the engine without a connection for a run's log.
- Its threads, one per request, say so in the WSGI environ: a live stream lowers its
  thread's CPU priority below the runs' (tasks/viewer_priority.py).
- SIGINT (Ctrl-C) or SIGTERM stops it gracefully: the engine interrupts the runs going
  (SIGTERM to each run's tree, the grace period, SIGKILL), records them as interrupted,
  and the server exits; a second Ctrl-C exits at once, leaving what is left to recovery.
- A code change (the autoreloader) stops the runs the same way before the new server
  starts: a run is supervised by the process that started it, and that process is the
  one being replaced. Runs still pending are picked up by the new server.

Django's own runserver cannot stop runs: with the autoreloader the server is a child
process, and the reloader's process kills it 0.25 s after Ctrl-C (subprocess.run) and at
once on SIGTERM; without the reloader SIGTERM kills it outright. Here the reloader's
process owns the stop: the first SIGINT or SIGTERM is passed on to the server as
SIGTERM, and the reloader waits for it; a second SIGINT kills the server at once. The
server ignores SIGINT, so that the terminal's Ctrl-C (which reaches both processes)
arrives once, through the reloader, and never in the middle of the engine's stop.
"""

import os
import signal
import subprocess
import sys
import threading

from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.utils import autoreload
from whitenoise.runserver_nostatic.management.commands.runserver import (
    Command as RunserverCommand,
)

from tasks.viewer_priority import THREAD_PER_REQUEST

BACKLOG = 1024  # the kernel caps it at net.core.somaxconn (4096 on current Linux)
RELOAD = 3  # the server's exit status when the autoreloader asks for a restart


class BurstWSGIServer(WSGIServer):
    """runserver's server with a listen backlog that holds a burst, serving a bounded
    number of requests at once.

    socketserver calls verify_request before a request is handed to its thread, and
    shutdown_request exactly once for every request verified, however its thread ends:
    a slot is taken in one and given back in the other. While every slot is taken, the
    accept loop waits and new connections queue in the backlog."""

    request_queue_size = BACKLOG

    def __init__(self, *args, **kwargs):
        bound = settings.EXECUTOR_SERVE_THREADS
        self.slots = threading.BoundedSemaphore(bound) if bound else None
        super().__init__(*args, **kwargs)

    def setup_environ(self):
        super().setup_environ()
        # Each request has a thread of its own (ThreadingMixIn), which ends with it: a
        # live stream may lower its priority for good (tasks/viewer_priority.py).
        self.base_environ[THREAD_PER_REQUEST] = True

    def verify_request(self, request, client_address):
        if self.slots is not None:
            self.slots.acquire()
        return True

    def shutdown_request(self, request):
        try:
            super().shutdown_request(request)
        finally:
            if self.slots is not None:
                self.slots.release()


class Command(RunserverCommand):
    help = "Start the development server with a deep backlog and a clean stop."
    server_cls = BurstWSGIServer

    def run(self, **options):
        if not options["use_reloader"]:
            # Alone, the server would die of SIGTERM at once, leaving its runs to recovery.
            signal.signal(signal.SIGTERM, _exit)
        elif os.environ.get(autoreload.DJANGO_AUTORELOAD_ENV) != "true":
            sys.exit(Reloader().run())
        else:
            # The reloader's child: the reloader passes Ctrl-C on.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            autoreload.autoreload_started.connect(_take_sigterm, dispatch_uid=__name__)
        super().run(**options)


class Reloader:
    """Django's restart_with_reloader, with the stop passed on instead of the server
    killed (subprocess.run kills its child on an interrupt, before it could stop its
    runs, and Django's SIGTERM handler exits without passing it on)."""

    def __init__(self):
        self.server: subprocess.Popen | None = None
        self.stops = 0

    def run(self) -> int:
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGTERM, self.stop)
        environ = {**os.environ, autoreload.DJANGO_AUTORELOAD_ENV: "true"}
        while not self.stops:
            self.server = subprocess.Popen(
                autoreload.get_child_arguments(), env=environ, close_fds=False
            )
            code = self.server.wait()
            if code != RELOAD:
                return code if code >= 0 else 128 - code
        return 0

    def stop(self, signum, frame):
        self.stops += 1
        server = self.server
        if server is None or server.poll() is not None:
            return  # between two servers: the loop starts no other
        if self.stops == 1:
            server.send_signal(signal.SIGTERM)  # the engine stops the runs, then it exits
        elif signum == signal.SIGINT:
            server.kill()  # a second Ctrl-C: at once, what is left goes to recovery


def _take_sigterm(sender, **kwargs):
    """In place of the handler Django's reloader gives the server (an exit on each
    SIGTERM): a service manager that signals every process (systemd's default) sends
    the server a SIGTERM of its own besides the reloader's, and a second exit raised
    while the engine begins its stop would cut it short. On the main thread, where the
    reloader runs and sends this signal."""
    signal.signal(signal.SIGTERM, _exit)


def _exit(signum, frame):
    """A SIGTERM: exit, which stops the engine before its threads are joined; later
    ones change nothing (the engine's stop ignores them too, once it has begun)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.exit(0)
