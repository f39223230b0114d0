"""The signed-in user's notifications: what they are subscribed to, and the form that
subscribes them (also on each run's page)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from tasks.models import Event
from tasks.services import subscriptions


def form_context(user, script=""):
    """What the "Notify me" form needs; shared with the run's page."""
    return {
        "channels": list(subscriptions.offered_channels()),
        "events": Event.choices,
        "default_events": [Event.FAILED, Event.RECOVERED],
        "script": script,
    }


@require_http_methods(["GET", "POST"])
def notifications(request):
    if request.method == "POST":
        try:
            subscriptions.subscribe(
                request.user,
                channel_id=request.POST.get("channel") or None,
                script=request.POST.get("script", ""),
                events=request.POST.getlist("events"),
            )
        except subscriptions.SubscriptionRefused as exc:
            messages.error(request, str(exc))
        else:
            what = request.POST.get("script") or "every run you can see"
            messages.success(request, f"You will be notified about {what}.")
        back = request.POST.get("next", "")
        if back and url_has_allowed_host_and_scheme(back, {request.get_host()}):
            return redirect(back)
        return redirect("notifications")
    context = form_context(request.user, request.GET.get("script", ""))
    context.update(subscriptions=list(subscriptions.of_user(request.user)))
    return render(request, "tasks/notifications.html", context)


@require_POST
def unsubscribe(request, pk):
    if subscriptions.unsubscribe(request.user, pk):
        messages.info(request, "Subscription removed.")
    return redirect("notifications")
