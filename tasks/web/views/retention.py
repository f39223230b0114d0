"""The retention page for staff: the policy, what it would remove now, what the history holds."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tasks.history import policy


@require_GET
def retention(request):
    if not (request.user.is_active and request.user.is_staff):
        raise PermissionDenied("The retention page is for staff.")
    return render(request, "insight/retention.html", policy.report())
