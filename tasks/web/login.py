"""Sign-in with a limit on failed attempts (tasks.services.rate_limits.SignInLimiter), and
the buttons of the sign-in providers beside the form, and the reasons an authentication
backend gives when it is not a wrong user name or password (the directory backend,
tasks.web.ldap_backend, when LDAP is on). With EXECUTOR_LOCAL_LOGIN=0 the form stays only
for directory accounts."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from tasks.services.rate_limits import SignInLimiter, wait_text

_PROBLEM = "_executor_sign_in_problem"


def note_problem(request, message, *, counts=True):
    """Called by a backend: the sign-in form shows `message` if no backend signs the user
    in. One that does not count (the directory was unreachable: no guess was checked)
    is left out of the limit on failed attempts."""
    if request is not None:
        setattr(request, _PROBLEM, (message, counts))


def noted_problem(request):
    """The (message, counts) a backend noted for this request, or None."""
    return getattr(request, _PROBLEM, None)


def password_sign_in():
    """Whether the user name and password form is offered: for local accounts, or for
    directory accounts when LDAP is on (even with EXECUTOR_LOCAL_LOGIN=0)."""
    return settings.EXECUTOR_LOCAL_LOGIN or bool(getattr(settings, "AUTH_LDAP_SERVER_URI", ""))


class LimitedAuthenticationForm(AuthenticationForm):
    def clean(self):
        if not password_sign_in():
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
        try:
            return super().clean()
        except ValidationError as error:
            if problem := noted_problem(self.request):
                message, counts = problem
                raise ValidationError(message, code="refused" if counts else "unchecked") from error
            raise


class LoginView(auth_views.LoginView):
    form_class = LimitedAuthenticationForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["password_form"] = password_sign_in()
        if settings.EXECUTOR_OIDC_ISSUER:
            context["oidc_name"] = settings.EXECUTOR_OIDC_NAME
        return context

    def form_invalid(self, form):
        if form.has_error(NON_FIELD_ERRORS, "local_off"):
            return self.render_to_response(self.get_context_data(form=form), status=403)
        if form.has_error(NON_FIELD_ERRORS, "throttled"):
            return self.render_to_response(self.get_context_data(form=form), status=429)
        if not form.has_error(NON_FIELD_ERRORS, "unchecked"):
            form.limiter.failed()
        return super().form_invalid(form)
