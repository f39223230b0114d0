"""The signed-in user's inbound webhooks: make one (its token shown once), revoke one."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from tasks.services import hooks, scripts_for


@require_http_methods(["GET", "POST"])
def webhooks(request):
    created = token = None
    form = {}
    if request.method == "POST":
        form = request.POST
        try:
            created, token = hooks.create(
                request.user,
                name=form.get("name", ""),
                script=form.get("script", ""),
                params=form.get("params", ""),
                body_params=form.get("body_params", ""),
            )
        except hooks.HookRefused as exc:
            messages.error(request, str(exc))
    entries, _ = scripts_for(request.user)
    context = {
        "hooks": list(hooks.of_user(request.user)),
        "entries": entries,
        "created": created,
        "token": token,
        "created_url": (
            request.build_absolute_uri(reverse("hook-call", args=[created.pk])) if created else ""
        ),
        "form": {} if created else form,
    }
    status = 400 if request.method == "POST" and created is None else 200
    return render(request, "tasks/webhooks.html", context, status=status)


@require_POST
def revoke(request, pk):
    if hooks.revoke(request.user, pk):
        messages.info(request, "Hook revoked: calls of it are refused from now on.")
    return redirect("webhooks")
