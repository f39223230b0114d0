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


LOOPBACK_HOSTS = ("127.", "localhost", "[::1]")


@register(Tags.security)
def check_ldap_encrypted(app_configs=None, **kwargs):
    """Sign-in through LDAP sends each user's password to the directory: over plain
    ldap:// without StartTLS, anyone on the path between the two reads it."""
    url = getattr(settings, "AUTH_LDAP_SERVER_URI", "")
    if not url or getattr(settings, "AUTH_LDAP_START_TLS", False):
        return []
    clear = [
        part
        for part in url.split()
        if part.lower().startswith("ldap://")
        and not part[len("ldap://") :].lower().startswith(LOOPBACK_HOSTS)
    ]
    if not clear:
        return []
    return [
        Warning(
            f"EXECUTOR_LDAP_URL ({' '.join(clear)}) sends users' passwords to the directory "
            "unencrypted.",
            hint="Set EXECUTOR_LDAP_START_TLS=1, or use an ldaps:// URL.",
            id="executor.W045",
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
            hint=(
                "Configure a provider (EXECUTOR_OIDC_ISSUER or EXECUTOR_LDAP_URL) "
                "or unset EXECUTOR_LOCAL_LOGIN."
            ),
            id="executor.E040",
        )
    ]
