"""Sign-in with a limit on failed attempts (tasks.services.rate_limits.SignInLimiter), and
the buttons of the sign-in providers beside the form (or instead of it, with
EXECUTOR_LOCAL_LOGIN=0)."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from tasks.services.rate_limits import SignInLimiter, wait_text


class LimitedAuthenticationForm(AuthenticationForm):
    def clean(self):
        if not settings.EXECUTOR_LOCAL_LOGIN:
            raise ValidationError(
                "Signing in with a user name and password is turned off on this site.",
                code="local_off",
            )
        self.limiter = SignInLimiter(self.request, self.data.get("username"))
        wait = self.limiter.wait()
        if wait > 0:
            # Refused before the password is checked: a guesser learns nothing more.
            raise ValidationError(
                f"Too many failed sign-in attempts. Try again in {wait_text(wait)}.",
                code="throttled",
            )
        return super().clean()


class LoginView(auth_views.LoginView):
    form_class = LimitedAuthenticationForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["local_login"] = settings.EXECUTOR_LOCAL_LOGIN
        if settings.EXECUTOR_OIDC_ISSUER:
            context["oidc_name"] = settings.EXECUTOR_OIDC_NAME
        return context

    def form_invalid(self, form):
        if form.has_error(NON_FIELD_ERRORS, "local_off"):
            return self.render_to_response(self.get_context_data(form=form), status=403)
        if form.has_error(NON_FIELD_ERRORS, "throttled"):
            return self.render_to_response(self.get_context_data(form=form), status=429)
        form.limiter.failed()
        return super().form_invalid(form)
