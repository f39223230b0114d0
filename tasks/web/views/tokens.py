"""The API tokens page: a user's scoped tokens, a form to issue one, a button to revoke."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tasks import services
from tasks.models import ScopedToken
from tasks.services import tokens as token_service
from tasks.web.token_forms import TokenForm


def token_list(request):
    entries, _ = services.scripts_for(request.user)
    form = TokenForm(
        request.POST or None, user=request.user, script_keys=[entry.key for entry in entries]
    )
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            token, new_key = form.issue()
        except services.ServiceError as exc:  # a request racing this one took the name
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Token {token.name!r} created: copy its key now.")
            form = TokenForm(user=request.user, script_keys=[entry.key for entry in entries])
    status = 400 if request.method == "POST" and new_key is None else 200
    tokens = ScopedToken.objects.filter(user=request.user)
    context = {"form": form, "tokens": tokens, "new_key": new_key}
    return render(request, "tasks/tokens.html", context, status=status)


@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ScopedToken, pk=pk, user=request.user)
    if token_service.revoke(request.user, token):
        messages.success(request, f"Revoked {token.name!r}: it no longer works.")
    return redirect("tokens")
