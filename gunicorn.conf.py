"""gunicorn's settings for this project, read by gunicorn from the folder it is started in.

A Ctrl-C in gunicorn's terminal reaches each worker twice: the terminal sends SIGINT to the
whole process group, and the master answers its own SIGINT with SIGQUIT to each worker.
gunicorn's gthread worker handles both with `handle_quit`, which shuts its thread pool down
under a lock that is not re-entrant: when the second signal lands while the first handler
holds that lock, the worker deadlocks, never exits, and its runs are never interrupted
(about one Ctrl-C in ten on a busy 2-core machine, gunicorn 27.0.1). The guard below lets
the first quit signal do its work and ignores the ones after it; the engine then stops
the runs as the worker exits.
"""

import signal


def post_worker_init(worker):
    quit_worker = worker.handle_quit
    quitting = False

    def handle_quit_once(signum, frame):
        nonlocal quitting
        if quitting:
            return
        quitting = True
        quit_worker(signum, frame)

    for signum in (signal.SIGINT, signal.SIGQUIT):
        signal.signal(signum, handle_quit_once)
