"""The project's gunicorn.conf.py: a worker quits once however many quit signals reach it
(a terminal's Ctrl-C sends SIGINT to the group and the master then sends SIGQUIT)."""

import importlib.util
import os
import signal
import time
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[3] / "gunicorn.conf.py"


def load_config():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", CONFIG)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Worker:
    def __init__(self):
        self.quits = []

    def handle_quit(self, signum, frame):
        self.quits.append(signum)
        # gunicorn's own handler sleeps here; the master's SIGQUIT lands inside it.
        os.kill(os.getpid(), signal.SIGQUIT)
        time.sleep(0.05)


def test_the_second_quit_signal_does_not_re_enter_the_first():
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGQUIT)}
    worker = Worker()
    try:
        load_config().post_worker_init(worker)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.1)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    assert worker.quits == [signal.SIGINT]
