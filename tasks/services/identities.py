"""Accounts of sign-in providers' users, found by the provider's id for them
(tasks.models.ProviderIdentity), and the explicit link of an existing account.

Both providers' backends (tasks.web.oidc.backend, tasks.web.ldap_backend) find and make
their users here, so one rule holds for both: a provider's user signs in as the account
linked to their (provider, subject) and as no other. The first sign-in makes an account
named after the user name the provider gives; when that name is taken (a local `admin`,
or a user of another provider), the new account is `<name>@<provider host>` instead, or
`<name>@<provider host>-2` and so on, and the account of that name stays untouched.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from tasks.history import audit
from tasks.models import AuditAction, ProviderIdentity
from tasks.services import InvalidRequest

logger = logging.getLogger(__name__)

USERNAME_LENGTH = 150


def ldap_subject(dn: str) -> str:
    """The identity's subject for a directory entry's DN: normalised (spacing) and in
    lower case, as directories compare names. python-ldap is imported here, not above:
    it is installed only where LDAP is used (requirements-ldap.txt)."""
    try:
        import ldap.dn

        return ldap.dn.dn2str(ldap.dn.str2dn(dn.strip())).lower()
    except ImportError:
        return dn.strip().lower()
    except ldap.DECODING_ERROR:
        raise InvalidRequest(
            f"{dn!r} is not a distinguished name (like uid=jdoe,ou=people,dc=example,dc=org)."
        ) from None


def user_for(provider: str, subject: str):
    """The active or inactive account linked to (provider, subject), or None."""
    identity = (
        ProviderIdentity.objects.select_related("user")
        .filter(provider=provider, subject=subject)
        .first()
    )
    return identity.user if identity is not None else None


def free_username(name: str, host: str) -> str:
    """`name` when no account has it (in any case), else `<name>@<host>`, then
    `<name>@<host>-2`, -3, ...: never the name of an existing account."""
    users = get_user_model().objects
    candidates = [name, f"{name}@{host}"]
    for candidate in candidates:
        if not users.filter(username__iexact=candidate[:USERNAME_LENGTH]).exists():
            return candidate[:USERNAME_LENGTH]
    number = 2
    while True:
        suffix = f"@{host}-{number}"
        candidate = name[: USERNAME_LENGTH - len(suffix)] + suffix
        if not users.filter(username__iexact=candidate).exists():
            return candidate
        number += 1


def adopt_unlinked(provider: str, subject: str, name: str):
    """With EXECUTOR_SSO_ADOPT_UNLINKED on (an upgrade from before links existed): the
    account named `name`, linked to (provider, subject) now, if it has no usable password
    and no link to any provider, i.e. an account a provider made by name; else None.
    An account with a password (a local one, an admin's) is never adopted."""
    if not settings.EXECUTOR_SSO_ADOPT_UNLINKED:
        return None
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().filter(username=name).first()
        if (
            user is None
            or user.has_usable_password()
            or ProviderIdentity.objects.filter(user=user).exists()
        ):
            return None
        ProviderIdentity.objects.create(user=user, provider=provider, subject=subject)
        audit.record(
            None,
            AuditAction.LINK_IDENTITY,
            actor_name="(first sign-in, EXECUTOR_SSO_ADOPT_UNLINKED)",
            account=user.get_username(),
            provider=provider,
            subject=subject,
        )
    logger.info("%s user %r adopted the unlinked account %r", provider, subject, name)
    return user


def create_for(provider: str, subject: str, name: str, host: str, **fields):
    """Make the account of a provider's user seen for the first time (without a
    password: it signs in through the provider), linked in the same transaction."""
    if (adopted := adopt_unlinked(provider, subject, name)) is not None:
        return adopted
    model = get_user_model()
    for _attempt in range(3):
        username = free_username(name, host)
        try:
            with transaction.atomic():
                user = model(username=username, **fields)
                user.set_unusable_password()
                user.save()
                ProviderIdentity.objects.create(user=user, provider=provider, subject=subject)
        except IntegrityError:
            # Another sign-in took the name, or made this identity, in between.
            if (found := user_for(provider, subject)) is not None:
                return found
            continue
        if username != name:
            logger.warning(
                "%s user %r signs in as the new account %r: an account named %r exists "
                "and is not linked to them (link it with manage.py link_identity if it "
                "is theirs)",
                provider,
                subject,
                username,
                name,
            )
        return user
    raise IntegrityError(f"no free user name for {provider} user {subject!r}")


def link(user, provider: str, subject: str, *, actor=None) -> ProviderIdentity:
    """Link an existing account to a provider's user: from now on they sign in as it.
    Refused when the provider's user has another account, or the account has another
    identity of this provider."""
    with transaction.atomic():
        taken = ProviderIdentity.objects.filter(provider=provider, subject=subject).first()
        if taken is not None and taken.user_id != user.pk:
            raise InvalidRequest(
                f"{provider} user {subject!r} signs in as {taken.user.get_username()!r} "
                "already; unlink that first."
            )
        mine = ProviderIdentity.objects.filter(provider=provider, user=user).first()
        if mine is not None and mine.subject != subject:
            raise InvalidRequest(
                f"{user.get_username()!r} is {provider} user {mine.subject!r} already; "
                "unlink that first."
            )
        if taken is not None:
            return taken
        identity = ProviderIdentity.objects.create(user=user, provider=provider, subject=subject)
        audit.record(
            actor,
            AuditAction.LINK_IDENTITY,
            **_actor_name(actor),
            account=user.get_username(),
            provider=provider,
            subject=subject,
        )
    return identity


def unlink(user, provider: str, *, actor=None) -> int:
    """Unlink the account from its identity of `provider`; the number removed (0 or 1)."""
    with transaction.atomic():
        identities = list(ProviderIdentity.objects.filter(user=user, provider=provider))
        for identity in identities:
            identity.delete()
            audit.record(
                actor,
                AuditAction.UNLINK_IDENTITY,
                **_actor_name(actor),
                account=user.get_username(),
                provider=provider,
                subject=identity.subject,
            )
    return len(identities)


def _actor_name(actor):
    return {} if actor is not None else {"actor_name": "(command line)"}
