"""The run rate in DRF's views: execute and re-run refused with 429 past EXECUTOR_RUN_RATE.

The counter is services.rate_limits.RunRateThrottle (the pages use it too); a request is
counted only when it started a run (answered 201), so refused requests cost nothing.
"""

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import Throttled

from tasks.services.rate_limits import RunRateThrottle, describe


class TooManyRuns(Throttled):
    extra_detail_singular = "Try again in {wait} second."
    extra_detail_plural = "Try again in {wait} seconds."


class RunThrottleMixin:
    """For viewsets whose actions in `run_actions` start runs."""

    run_actions: tuple[str, ...] = ()

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action in self.run_actions:
            throttles.append(RunRateThrottle())
        return throttles

    def throttled(self, request, wait):
        rate = settings.EXECUTOR_RUN_RATE
        raise TooManyRuns(wait, f"Too many runs started: the limit is {describe(rate)}.")

    def finalize_response(self, request, response, *args, **kwargs):
        if self.action in self.run_actions and response.status_code == status.HTTP_201_CREATED:
            RunRateThrottle().count_run(request, self)
        return super().finalize_response(request, response, *args, **kwargs)
