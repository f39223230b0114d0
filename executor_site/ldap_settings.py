"""Sign-in through LDAP or Active Directory (django-auth-ldap), from EXECUTOR_LDAP_* variables.

Off unless EXECUTOR_LDAP_URL is set: then `ldap_from_environment()` returns the
AUTH_LDAP_* settings that django-auth-ldap reads, and settings.py puts its backend before
Django's own (local accounts keep working). The README's "Signing in with LDAP or Active
Directory" section lists the variables. What the directory says is applied at every
sign-in (AUTH_LDAP_ALWAYS_UPDATE_USER): staff and superuser flags from group membership,
and the user's Django groups mirrored from their directory groups, so a user removed
from a group loses it, and the scripts it gave, at their next sign-in.

Every mistake in the variables stops the start with a message that names the variable,
as executor_site.env does for the others.
"""

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from executor_site.env import env_bool, env_float, env_list, env_str

# EXECUTOR_LDAP_GROUP_TYPE: django-auth-ldap's group type and the filter that finds groups
# of that kind. The nested ones also count the groups of a user's groups (and so on up).
GROUP_TYPES = {
    "group-of-names": ("GroupOfNamesType", "(objectClass=groupOfNames)"),
    "nested-group-of-names": ("NestedGroupOfNamesType", "(objectClass=groupOfNames)"),
    "group-of-unique-names": ("GroupOfUniqueNamesType", "(objectClass=groupOfUniqueNames)"),
    "nested-group-of-unique-names": (
        "NestedGroupOfUniqueNamesType",
        "(objectClass=groupOfUniqueNames)",
    ),
    "posix": ("PosixGroupType", "(objectClass=posixGroup)"),
    "active-directory": ("ActiveDirectoryGroupType", "(objectClass=group)"),
    "nested-active-directory": ("NestedActiveDirectoryGroupType", "(objectClass=group)"),
}
URL_SCHEMES = ("ldap://", "ldaps://", "ldapi://")


def _filter(name: str, default: str, *, needs_user: bool) -> str:
    """An LDAP filter such as (uid=%(user)s): parenthesised, and with `needs_user`, with
    %(user)s where the (escaped) user name goes."""
    text = env_str(name, default).strip()
    if not (text.startswith("(") and text.endswith(")")):
        raise ImproperlyConfigured(
            f"{name} must be an LDAP filter in parentheses, like (uid=%(user)s), got {text!r}"
        )
    if needs_user and "%(user)s" not in text:
        raise ImproperlyConfigured(
            f"{name} must say where the user name goes with %(user)s, like "
            f"(sAMAccountName=%(user)s), got {text!r}"
        )
    try:
        text % {"user": "x"}
    except (KeyError, ValueError, TypeError):
        raise ImproperlyConfigured(
            f"{name} may hold no % other than %(user)s (write a literal % as %%), got {text!r}"
        ) from None
    return text


def _library() -> None:
    """Fail the start with what to install when LDAP is asked for but not installed."""
    try:
        import django_auth_ldap  # noqa: F401
        import ldap  # noqa: F401
    except ImportError:
        raise ImproperlyConfigured(
            "EXECUTOR_LDAP_URL is set but django-auth-ldap is not installed: "
            ".venv/bin/pip install -r requirements-ldap.txt (python-ldap is built from "
            "source: it needs a C compiler, libldap2-dev and libsasl2-dev)"
        ) from None


def _dn(name: str, value: str) -> str:
    import ldap.dn

    if not ldap.dn.is_dn(value) or not value.strip():
        raise ImproperlyConfigured(
            f"{name} must be a distinguished name like cn=admins,ou=groups,dc=example,dc=org, "
            f"got {value!r}"
        )
    return value


def _dns(name: str) -> list[str]:
    """Group DNs separated by ';' (a DN holds commas itself)."""
    return [_dn(name, value) for value in env_list(name, [], separator=";")]


def _group_settings(search_base: str) -> dict[str, Any]:
    import ldap
    from django_auth_ldap import config

    kind = env_str("EXECUTOR_LDAP_GROUP_TYPE", "group-of-names").strip().lower()
    if kind not in GROUP_TYPES:
        raise ImproperlyConfigured(
            f"EXECUTOR_LDAP_GROUP_TYPE must be one of {', '.join(GROUP_TYPES)}, got {kind!r}"
        )
    type_name, default_filter = GROUP_TYPES[kind]
    group_filter = _filter("EXECUTOR_LDAP_GROUP_FILTER", default_filter, needs_user=False)
    flags = {}
    for flag, name in (("is_staff", "STAFF"), ("is_superuser", "SUPERUSER")):
        if dns := _dns(f"EXECUTOR_LDAP_{name}_GROUPS"):
            flags[flag] = dns
    mirror = env_str("EXECUTOR_LDAP_MIRROR_GROUPS", "all").strip()
    if mirror.lower() in ("all", "off"):
        mirror_groups: bool | list[str] = mirror.lower() == "all"
    else:
        mirror_groups = env_list("EXECUTOR_LDAP_MIRROR_GROUPS", [])
    group_settings: dict[str, Any] = {
        "AUTH_LDAP_GROUP_SEARCH": config.LDAPSearch(search_base, ldap.SCOPE_SUBTREE, group_filter),
        "AUTH_LDAP_GROUP_TYPE": getattr(config, type_name)(name_attr="cn"),
        "AUTH_LDAP_USER_FLAGS_BY_GROUP": flags,
        "AUTH_LDAP_MIRROR_GROUPS": mirror_groups,
    }
    if required := env_str("EXECUTOR_LDAP_REQUIRE_GROUP", "").strip():
        group_settings["AUTH_LDAP_REQUIRE_GROUP"] = _dn("EXECUTOR_LDAP_REQUIRE_GROUP", required)
    return group_settings


def _no_group_settings() -> None:
    """Group mapping asked for without a group search: say so rather than ignore it."""
    for name in (
        "EXECUTOR_LDAP_GROUP_TYPE",
        "EXECUTOR_LDAP_GROUP_FILTER",
        "EXECUTOR_LDAP_STAFF_GROUPS",
        "EXECUTOR_LDAP_SUPERUSER_GROUPS",
        "EXECUTOR_LDAP_REQUIRE_GROUP",
    ):
        if env_str(name, ""):
            raise ImproperlyConfigured(f"{name} needs EXECUTOR_LDAP_GROUP_BASE (where groups are)")


def _connection_options(url: str) -> tuple[bool, dict[Any, Any]]:
    import ldap

    start_tls = env_bool("EXECUTOR_LDAP_START_TLS", False)
    if start_tls and url.lower().startswith("ldaps://"):
        raise ImproperlyConfigured(
            "EXECUTOR_LDAP_START_TLS is for ldap:// URLs; an ldaps:// URL is encrypted already"
        )
    # A directory that does not answer must not hold the sign-in page for minutes.
    timeout = env_float("EXECUTOR_LDAP_TIMEOUT", 5, minimum=0.1)
    options: dict[Any, Any] = {
        ldap.OPT_NETWORK_TIMEOUT: timeout,
        ldap.OPT_TIMEOUT: timeout,
        # Active Directory answers a search of the domain's root with referrals that
        # libldap would follow anonymously; django-auth-ldap's documentation turns it off.
        ldap.OPT_REFERRALS: 0,
    }
    if ca_file := env_str("EXECUTOR_LDAP_CA_FILE", "").strip():
        options[ldap.OPT_X_TLS_CACERTFILE] = ca_file
        options[ldap.OPT_X_TLS_REQUIRE_CERT] = ldap.OPT_X_TLS_DEMAND
        # Last: libldap reads the TLS options above into a new context only now.
        options[ldap.OPT_X_TLS_NEWCTX] = 0
    return start_tls, options


def ldap_from_environment() -> dict[str, Any]:
    """The AUTH_LDAP_* settings, or {} when EXECUTOR_LDAP_URL is not set."""
    url = env_str("EXECUTOR_LDAP_URL", "").strip()
    if not url:
        return {}
    if not url.lower().startswith(URL_SCHEMES):
        raise ImproperlyConfigured(
            f"EXECUTOR_LDAP_URL must start with ldap://, ldaps:// or ldapi://, got {url!r}"
        )
    _library()
    import ldap
    from django_auth_ldap.config import LDAPSearch

    user_base = env_str("EXECUTOR_LDAP_USER_BASE", "").strip()
    if not user_base:
        raise ImproperlyConfigured(
            "EXECUTOR_LDAP_USER_BASE must say where users are, like ou=people,dc=example,dc=org"
        )
    user_filter = _filter("EXECUTOR_LDAP_USER_FILTER", "(uid=%(user)s)", needs_user=True)
    bind_dn = env_str("EXECUTOR_LDAP_BIND_DN", "").strip()
    if bind_dn:
        _dn("EXECUTOR_LDAP_BIND_DN", bind_dn)
    start_tls, options = _connection_options(url)
    settings: dict[str, Any] = {
        "AUTH_LDAP_SERVER_URI": url,
        # Empty: an anonymous bind for the user search.
        "AUTH_LDAP_BIND_DN": bind_dn,
        "AUTH_LDAP_BIND_PASSWORD": env_str("EXECUTOR_LDAP_BIND_PASSWORD", ""),
        "AUTH_LDAP_START_TLS": start_tls,
        "AUTH_LDAP_CONNECTION_OPTIONS": options,
        "AUTH_LDAP_USER_SEARCH": LDAPSearch(
            _dn("EXECUTOR_LDAP_USER_BASE", user_base), ldap.SCOPE_SUBTREE, user_filter
        ),
        # The same attributes in OpenLDAP's inetOrgPerson and in Active Directory.
        "AUTH_LDAP_USER_ATTR_MAP": {"first_name": "givenName", "last_name": "sn", "email": "mail"},
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
    }
    if group_base := env_str("EXECUTOR_LDAP_GROUP_BASE", "").strip():
        settings |= _group_settings(_dn("EXECUTOR_LDAP_GROUP_BASE", group_base))
    else:
        _no_group_settings()
    return settings
