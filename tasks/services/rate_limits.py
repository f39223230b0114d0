"""Limits on what a user can do in a burst: runs started, and failed sign-ins.

The run counter is shared by the pages and the API (tasks.api.throttles plugs it into
DRF's views), so it lives here, below both.

Counters live in the default cache (CACHE_URL). With the per-process default each server
process counts on its own; a shared cache (Redis, or a file cache on one machine) makes
the limits exact across processes.
"""

import hashlib
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

logger = logging.getLogger(__name__)


def describe(rate):
    """(30, 60) -> "30 per minute"."""
    count, seconds = rate
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            amount = seconds // size
            return f"{count} per {unit}" if amount == 1 else f"{count} per {amount} {unit}s"
    return f"{count} per {seconds} seconds"  # pragma: no cover - the loop ends at seconds


def wait_text(seconds):
    seconds = max(1, math.ceil(seconds))
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"


class RunRateThrottle(SimpleRateThrottle):
    """Runs started per user (execute and re-run), at EXECUTOR_RUN_RATE.

    DRF's own counting (a list of times in the cache), except that a request is counted
    only once it has started a run (`count_run`): a refused request (an unknown script,
    a bad parameter) uses up nothing."""

    scope = "run"

    def get_rate(self):
        # Read when used, not at import, so that the setting can change (tests do).
        return settings.EXECUTOR_RUN_RATE

    def parse_rate(self, rate):
        return rate if rate is not None else (None, None)

    def get_cache_key(self, request, view):
        ident = request.user.pk if request.user.is_authenticated else self.get_ident(request)
        return f"throttle:run:{ident}"

    def throttle_success(self):
        return True  # allowed, not yet counted: count_run() counts a run once started

    def count_run(self, request, view=None):
        """Count a run this request started (with the history as it is now)."""
        if self.rate is not None and self.allow_request(request, view):
            super().throttle_success()


def run_started(request):
    """Count a run started by this request against EXECUTOR_RUN_RATE (pages and API)."""
    RunRateThrottle().count_run(request)


class SignInLimiter:
    """Failed sign-ins per user name and per client address, in a fixed window.

    Once either has failed EXECUTOR_LOGIN_RATE times, every attempt for it is refused,
    right or wrong, until the window that began with the first failure ends."""

    def __init__(self, request, username):
        self.rate = settings.EXECUTOR_LOGIN_RATE
        name = (username or "").strip().lower().encode("utf-8", "replace")
        address = BaseThrottle().get_ident(request) or "unknown"
        self.keys = [
            "signin:user:" + hashlib.sha256(name).hexdigest(),
            "signin:addr:" + hashlib.sha256(address.encode()).hexdigest(),
        ]
        self.address = address

    def wait(self):
        """Seconds until sign-in may be tried again; 0 when it may now."""
        if self.rate is None:
            return 0
        limit, _ = self.rate
        counts = cache.get_many(self.keys)
        now = time.time()
        waits = [
            cache.get(f"{key}:until", now) - now for key in self.keys if counts.get(key, 0) >= limit
        ]
        return max(waits, default=0)

    def failed(self):
        if self.rate is None:
            return
        _, seconds = self.rate
        until = time.time() + seconds
        for key in self.keys:
            # add() only starts a window; incr() fails if the key expired in between.
            if cache.add(key, 0, seconds):
                cache.set(f"{key}:until", until, seconds)
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, seconds)
                cache.set(f"{key}:until", until, seconds)
        logger.warning("failed sign-in from %s", self.address)


def run_refusal(request):
    """For pages: a message when this user has started too many runs, else None.
    Counts against the same limit as the API's execute and re-run."""
    throttle = RunRateThrottle()
    if throttle.allow_request(request, None):  # type: ignore[arg-type]  # no DRF view here
        return None
    wait = throttle.wait() or 1
    return (
        f"Too many runs started: the limit is {describe(settings.EXECUTOR_RUN_RATE)}. "
        f"Try again in {wait_text(wait)}."
    )
