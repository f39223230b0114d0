"""Sign-in with a limit on failed attempts (tasks.services.rate_limits.SignInLimiter), and
the buttons of the sign-in providers beside the form, and the reasons an authentication
backend gives when it is not a wrong user name or password (the directory backend,
tasks.web.ldap_backend, when LDAP is on). With EXECUTOR_LOCAL_LOGIN=0 the form stays only
for directory accounts. Every sign-in through the form, and every refusal, is an audit
row (tasks.services.sign_ins) with the reason it failed."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from tasks.services import sign_ins
from tasks.services.rate_limits import SignInLimiter, wait_text

_PROBLEM = "_executor_sign_in_problem"
_FAILURE = "_executor_sign_in_failure"
# The directory backend's reason when it has no such name; the local accounts had a say.
NO_SUCH_DIRECTORY_USER = "no such user in the directory"


def note_problem(request, message, *, counts=True):
    """Called by a backend: the sign-in form shows `message` if no backend signs the user
    in. One that does not count (the directory was unreachable: no guess was checked)
    is left out of the limit on failed attempts."""
    if request is not None:
        setattr(request, _PROBLEM, (message, counts))


def noted_problem(request):
    """The (message, counts) a backend noted for this request, or None."""
    return getattr(request, _PROBLEM, None)


def note_failure(request, source, reason):
    """Called by a backend that had the user name but did not sign them in: why, for the
    audit trail (never shown to the user: it would tell which names exist)."""
    if request is not None:
        setattr(request, _FAILURE, (source, reason))


def failure_reason(request, username):
    """(source, reason) of a failed password sign-in, for the audit trail."""
    noted = getattr(request, _FAILURE, None)
    account = get_user_model().objects.filter(username=username).first() if username else None
    if account is None:
        local = "no local account of that name"
    elif not account.has_usable_password():
        local = "the account has no local password"
    elif not account.is_active:
        local = "the account is deactivated"
    else:
        local = "wrong password"
    if noted is None:
        return "local", local
    source, reason = noted
    if source == "ldap" and reason == NO_SUCH_DIRECTORY_USER:
        return "local", f"{local}; {reason}"
    return source, reason


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

    def form_valid(self, form):
        user = form.get_user()
        response = super().form_valid(form)
        sign_ins.signed_in(self.request, user, source=sign_ins.source_of(user.backend))
        return response

    def form_invalid(self, form):
        name = form.data.get("username", "")
        if form.has_error(NON_FIELD_ERRORS, "local_off"):
            sign_ins.failed(
                self.request, name, source="local", reason="password sign-in is turned off"
            )
            return self.render_to_response(self.get_context_data(form=form), status=403)
        if form.has_error(NON_FIELD_ERRORS, "throttled"):
            sign_ins.failed(
                self.request, name, source="local", reason="too many failed sign-ins (limit)"
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        if name and form.data.get("password"):  # else an empty field: no row, nothing tried
            source, reason = failure_reason(self.request, name)
            sign_ins.failed(self.request, name, source=source, reason=reason)
        if not form.has_error(NON_FIELD_ERRORS, "unchecked"):
            form.limiter.failed()
        return super().form_invalid(form)
