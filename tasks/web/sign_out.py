"""The site's sign-out: mozilla-django-oidc's view, so that a session signed in through
the OpenID provider ends there too (tasks.web.oidc.logout), and an audit row for each."""

from django.contrib.auth import BACKEND_SESSION_KEY
from mozilla_django_oidc.views import OIDCLogoutView

from tasks.services import sign_ins
from tasks.web.oidc.discovery import oidc_setting
from tasks.web.oidc.logout import signs_out_at_provider


class SignOutView(OIDCLogoutView):
    # POST only (the library's default): a link or an image must not sign anyone out.
    get_settings = staticmethod(oidc_setting)

    def post(self, request):
        user = request.user
        source = sign_ins.source_of(request.session.get(BACKEND_SESSION_KEY))
        response = super().post(request)
        if user.is_authenticated:
            sign_ins.signed_out(
                request, user, source=source, at_provider=signs_out_at_provider(response.url)
            )
        return response
