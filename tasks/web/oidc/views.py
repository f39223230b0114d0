"""The two ends of the authorization-code flow (with PKCE): off to the provider, and back.

mozilla-django-oidc's views, with what a user needs when a sign-in fails: a forged or
stale state, a refused token, a provider that is down or says no all end on the sign-in
page with a message that says which, the details in the log and the audit trail
(tasks.services.sign_ins), and nobody signed in.
"""

import logging

import requests
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import resolve_url
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from tasks.services import sign_ins
from tasks.web.oidc.discovery import SignInRefused, enabled, oidc_setting

logger = logging.getLogger("tasks.web.oidc")


def refuse(request, message, detail, *, name=""):
    """Back to the sign-in page with `message`, nobody signed in by it. A user already
    signed in stays so: a link to a forged callback must not sign anyone out."""
    logger.warning(
        "OpenID Connect sign-in refused (client %s): %s",
        sign_ins.client_address(request),
        detail,
    )
    sign_ins.failed(request, name, source="oidc", reason=detail)
    messages.error(request, message)
    return HttpResponseRedirect(resolve_url("login"))


class AuthenticateView(OIDCAuthenticationRequestView):
    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        # The endpoint is read in get(), where a provider that cannot be reached is a
        # message on the sign-in page rather than an error page.
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        if not enabled():
            raise Http404("OpenID Connect sign-in is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = self.get_settings("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except SignInRefused as refused:
            return refuse(request, refused.message, refused.detail)
        self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID")
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    get_settings = staticmethod(oidc_setting)

    def get(self, request):
        if not enabled():
            raise Http404("OpenID Connect sign-in is not configured.")
        state = request.GET.get("state")
        if error := request.GET.get("error"):
            # The state is spent either way, so that it cannot be replayed.
            if (request.session.get("oidc_states") or {}).pop(state, None) is not None:
                request.session.modified = True
            description = request.GET.get("error_description", "")
            return refuse(
                request,
                f"The sign-in provider refused the sign-in: {description or error}.",
                f"provider answered {error!r}: {description!r}",
            )
        if not (state and request.GET.get("code")):
            return refuse(
                request,
                "The sign-in provider's answer is incomplete. Start again from the sign-in page.",
                "callback without code or state",
            )
        if state not in (request.session.get("oidc_states") or {}):
            return refuse(
                request,
                "The sign-in answer does not belong to a sign-in started in this browser "
                "(or it was used already). Start again from the sign-in page.",
                f"unknown state {state[:64]!r}",
            )
        try:
            return super().get(request)
        except SignInRefused as refused:
            return refuse(request, refused.message, refused.detail)
        except (requests.RequestException, ValueError, SuspiciousOperation) as error:
            return refuse(
                request,
                "The sign-in could not be completed with the provider. Try again later.",
                f"{type(error).__name__}: {error}",
            )

    def login_success(self):
        response = super().login_success()
        sign_ins.signed_in(self.request, self.user, source="oidc")
        return response

    def login_failure(self):
        return refuse(
            self.request,
            "This account cannot sign in here (it may be disabled). Ask an administrator.",
            "the backend gave no active user",
            # The account the provider's user is linked to, when it is a deactivated one.
            name=user.get_username() if (user := getattr(self, "user", None)) else "",
        )
