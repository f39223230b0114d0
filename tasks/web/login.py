"""Sign-in with a limit on failed attempts (tasks.services.rate_limits.SignInLimiter), and
the reasons an authentication backend gives when it is not a wrong user name or password
(the directory backend, tasks.web.ldap_backend, when LDAP is on)."""

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


class LimitedAuthenticationForm(AuthenticationForm):
    def clean(self):
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

    def form_invalid(self, form):
        if form.has_error(NON_FIELD_ERRORS, "throttled"):
            return self.render_to_response(self.get_context_data(form=form), status=429)
        if not form.has_error(NON_FIELD_ERRORS, "unchecked"):
            form.limiter.failed()
        return super().form_invalid(form)
