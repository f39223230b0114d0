"""A thread that streams a run's live output runs below the runs' priority while it does
(tasks/viewer_priority.py), and gets its priority back when the stream ends, unless it
is a thread of its own per request that could not take it back."""

import os
import resource
import threading

import pytest
from django.core.servers.basehttp import WSGIRequestHandler

from tasks import viewer_priority
from tasks.management.commands.runserver import BurstWSGIServer
from tasks.models import Status
from tasks.tests.factories import make_task

pytestmark = pytest.mark.skipif(not hasattr(os, "setpriority"), reason="Linux only")


def nice_of_this_thread():
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.fixture(autouse=True)
def priority_kept():
    """The test's thread gets its priority back whatever a test did to it (as root)."""
    before = nice_of_this_thread()
    yield
    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), before)


def watch_a_stream(client, task, **environ):
    """(this thread's nice before, while it streamed, after the stream ended)."""
    before = nice_of_this_thread()
    response = client.get(f"/tasks/{task.pk}/events/", **environ)
    parts = iter(response.streaming_content)
    assert next(parts).startswith(b"retry:")
    assert b"event: end" in next(parts)  # a finished run's log, state and end at once
    during = nice_of_this_thread()
    assert b"".join(parts) == b""  # the stream's generator has returned
    return before, during, nice_of_this_thread()


@pytest.fixture
def finished_run(user):
    return make_task(user, status=Status.SUCCESS, log=[("out", b"one\ntwo\n")])


@pytest.mark.django_db
def test_a_stream_runs_below_the_runs_and_is_raised_back_after(client, user, finished_run):
    client.force_login(user)
    before, during, after = watch_a_stream(client, finished_run)
    assert during == min(19, before + viewer_priority.NICENESS)
    assert after == before


@pytest.mark.django_db
def test_without_the_right_to_raise_it_back_a_pool_s_thread_is_left_as_it_is(
    client, user, finished_run, monkeypatch
):
    """A thread that serves other requests after this one (a pool's) would stay low for
    good: it is lowered only where it can be raised back. One of its own per request
    (runserver's) is lowered anyway. The test runs as root, which may always raise it
    back, so it plays an unprivileged user (root may always raise the limit)."""
    client.force_login(user)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    _, hard = resource.getrlimit(resource.RLIMIT_NICE)
    monkeypatch.setattr(resource, "getrlimit", lambda which: (0, hard))
    before, during, after = watch_a_stream(client, finished_run)
    assert during == before == after
    per_request = {viewer_priority.THREAD_PER_REQUEST: True}
    before, during, after = watch_a_stream(client, finished_run, **per_request)
    assert during == min(19, before + viewer_priority.NICENESS)
    assert after == before  # root could raise it back; an unprivileged user's thread ends


def test_runserver_says_that_each_request_has_a_thread_of_its_own():
    server = BurstWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    try:
        assert server.base_environ[viewer_priority.THREAD_PER_REQUEST] is True
    finally:
        server.server_close()


def test_whether_it_can_be_raised_back_follows_the_nice_limit(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(resource, "getrlimit", lambda which: (0, 0))  # the usual default
    assert not viewer_priority.can_be_raised_back_to(0)
    assert viewer_priority.can_be_raised_back_to(20)
    monkeypatch.setattr(resource, "getrlimit", lambda which: (20, 20))  # nice 0 allowed
    assert viewer_priority.can_be_raised_back_to(0)
    assert not viewer_priority.can_be_raised_back_to(-1)
