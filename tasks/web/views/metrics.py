"""`GET /metrics`: the Prometheus text format, for a scraper with the bearer token or staff."""

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from tasks.insight.metrics import exposition


def _has_token(request) -> bool:
    expected = settings.EXECUTOR_METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    # Constant time: the token must not leak one character at a time.
    return hmac.compare_digest(given.strip().encode(), expected.encode())


@login_not_required
@require_GET
def metrics(request):
    user = request.user
    if not (_has_token(request) or (user.is_authenticated and user.is_active and user.is_staff)):
        status = 403 if user.is_authenticated else 401
        response = HttpResponse(
            "Metrics need the bearer token (EXECUTOR_METRICS_TOKEN) or a staff account.\n",
            status=status,
            content_type="text/plain; charset=utf-8",
        )
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
