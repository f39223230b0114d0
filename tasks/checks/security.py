"""`manage.py check` warns about security settings that do not do what they seem to."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from tasks.services.engine import never_passed


@register(Tags.security)
def check_child_environment(app_configs=None, **kwargs):
    refused = [name for name in settings.EXECUTOR_CHILD_ENV if never_passed(name)]
    if not refused:
        return []
    return [
        Warning(
            f"EXECUTOR_CHILD_ENV names server settings that are never passed to scripts: "
            f"{', '.join(refused)}",
            hint="Scripts must not see the server's secrets. Give a script what it needs "
            "under another variable name.",
            id="executor.W020",
        )
    ]


@register(Tags.security)
def check_someone_can_sign_in(app_configs=None, **kwargs):
    """EXECUTOR_LOCAL_LOGIN=0 without a sign-in provider leaves the site with no way in."""
    if settings.AUTHENTICATION_BACKENDS:
        return []
    return [
        Error(
            "Nobody can sign in: local accounts are turned off (EXECUTOR_LOCAL_LOGIN=0) "
            "and no sign-in provider is configured.",
            hint="Configure a provider (EXECUTOR_OIDC_ISSUER, ...) or unset EXECUTOR_LOCAL_LOGIN.",
            id="executor.E040",
        )
    ]
