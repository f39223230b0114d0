"""tasks.services.engine: the only way the web side reaches the engine."""

import os
import socket

import pytest

from tasks import services
from tasks.executor.backends import get_backend
from tasks.models import Status
from tasks.services import engine


def test_engine_status_is_the_configured_backends_status():
    assert engine.engine_status() == get_backend().status()


def test_start_engine_starts_the_configured_backend(monkeypatch):
    started = []
    monkeypatch.setattr(get_backend(), "start", lambda: started.append(True))
    engine.start_engine()
    assert started == [True]


def test_this_worker_names_this_host_and_process():
    assert engine.this_worker() == f"{socket.gethostname()}:{os.getpid()}"


def test_the_checks_facts_are_the_engines():
    from tasks.executor import backends, environment, log_writer, retention

    assert engine.BACKENDS is backends.BACKENDS
    assert engine.MAX_CHUNK == log_writer.MAX_CHUNK
    assert engine.BACKENDS_WITH_RETENTION is retention.BACKENDS_WITH_RETENTION
    assert engine.never_passed is environment.never_passed


@pytest.mark.django_db(transaction=True)
def test_the_inline_runner_records_then_runs_a_task_here_with_echo(admin_user):
    output = []
    runner = engine.InlineRunner(echo=lambda stream, data: output.append(data))
    task = services.execute(admin_user, "echo", {}, [], backend=runner.recorder)
    assert runner.recorder.submitted == [task.pk]
    task.refresh_from_db()
    assert task.status == Status.PENDING
    runner.run(task.pk)
    task.refresh_from_db()
    assert task.status == Status.SUCCESS
    assert task.worker == engine.this_worker()
    assert b"".join(output)
    assert runner.cancel(task.pk) is False  # nothing runs here any more
