"""Sign-in for the live stream and the polling fallback, which API clients call too.

Both are plain Django views (a DRF view cannot return a streaming body lazily under
ASGI), so the site's LoginRequiredMiddleware would send a token client a 302 to the
HTML sign-in page. `session_or_token` takes them out of the middleware and signs the
request in the way DRF's API does: the session, else the authentication classes of
REST_FRAMEWORK (the token). A client that is not signed in and asked for JSON or an
event stream (or sent credentials) gets 401 with the API's error envelope; a browser
still gets the sign-in page. A run that does not exist (or is not the user's) is a 404
in the same envelope, so every answer of these views is JSON or the stream itself.
"""

from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.settings import api_settings

from tasks.services import tokens

NOT_SIGNED_IN = "Authentication required: sign in, or send the header 'Authorization: Token <key>'."
MACHINE_TYPES = ("application/json", "text/event-stream")


def refused(message, status=401):
    response = JsonResponse({"success": False, "error": message}, status=status)
    if status != 401:
        return response
    response["WWW-Authenticate"] = "Token"
    return response


def wants_machine_answer(request):
    accept = request.headers.get("Accept", "")
    return "Authorization" in request.headers or any(kind in accept for kind in MACHINE_TYPES)


def token_user(request):
    """The user the request's credentials name, or None when it sent none. Raises
    AuthenticationFailed for credentials that are refused (unknown, revoked, expired)."""
    for authentication_class in api_settings.DEFAULT_AUTHENTICATION_CLASSES:
        if issubclass(authentication_class, SessionAuthentication):
            continue  # the session middleware has already looked
        result = authentication_class().authenticate(request)
        if result is not None:
            request.auth = result[1]
            return result[0]
    return None


def token_scope_refusal(request, task):
    """A 403 answer when the request's scoped token may not follow runs of this script."""
    message = tokens.scope_refusal(getattr(request, "auth", None), task.script)
    return None if message is None else refused(message, status=403)


def session_or_token(view):
    @login_not_required
    @wraps(view)
    def signed_in_view(request, *args, **kwargs):
        if not request.user.is_authenticated:
            try:
                user = token_user(request)
            except exceptions.APIException as exc:  # refused credentials, or out of scope
                return refused(str(exc.detail), status=exc.status_code)
            if user is None:
                if wants_machine_answer(request):
                    return refused(NOT_SIGNED_IN)
                return redirect_to_login(request.get_full_path())
            request.user = user
        try:
            return view(request, *args, **kwargs)
        except Http404 as exc:
            return refused(str(exc) or "Not found.", status=404)

    return signed_in_view
