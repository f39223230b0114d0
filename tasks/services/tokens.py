"""API tokens: issuing and revoking them, and what a token's scope lets a request touch.

The tokens page (/account/tokens/), the admin and `manage.py revoke_token` all issue and
revoke through here, so each of them writes the same audit event in the same transaction.
Every refused token is logged at WARNING here too (`refused`), by its name, its prefix
(the key's first characters, which the admin shows too) and its user, never by its key.
"""

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet
from rest_framework.authtoken.models import Token

from tasks.catalog import get_catalog
from tasks.history import audit
from tasks.models import ScopedToken
from tasks.services import InvalidRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

COMMAND_LINE = "(command line)"
LEGACY_SHOWN = 4  # characters of a legacy DRF key a log may show (of its 40)


def shown(key: str) -> str:
    """The part of a key a log may name: a scoped key's stored prefix, else a few
    characters (a typo of a real key must not end up in the log whole)."""
    if key.startswith("exk_"):
        return key[:12] + "…"
    return key[:LEGACY_SHOWN] + "…"


def describe(token: Any) -> str:
    """`'ci' (exk_abcdefgh…) of alice` for a scoped token; the user's legacy token by user."""
    if isinstance(token, ScopedToken):
        return f"{token.name!r} ({token.prefix}…) of {token.user.get_username()}"
    if isinstance(token, Token):
        return f"legacy token ({shown(token.key)}) of {token.user.get_username()}"
    return "session"


def refused(what: str, reason: str) -> None:
    """Log one refused token: `what` names it (describe() or an unknown key's shown())."""
    logger.warning("refused token %s: %s", what, reason)


def _actor_fields(actor: "User | None") -> dict[str, str]:
    return {} if actor is not None else {"actor_name": COMMAND_LINE}


def clean_scripts(scripts: Iterable[str]) -> list[str]:
    """A scope's script keys, sorted; InvalidRequest for what is not one of the catalog's."""
    scripts = sorted(set(scripts))
    if not all(isinstance(script, str) and script for script in scripts):
        raise InvalidRequest("scripts: a list of script keys.", {"scripts": "not a list of keys"})
    catalog = get_catalog()
    unknown = [script for script in scripts if catalog.get(script) is None]
    if unknown and not catalog.load_error:
        message = f"scripts: no such script in the catalog: {', '.join(unknown)}."
        raise InvalidRequest(message, {"scripts": message})
    return scripts


def issue(
    actor: "User | None",
    user: "User",
    name: str,
    *,
    expires_at: datetime | None = None,
    read_only: bool = False,
    scripts: Iterable[str] = (),
) -> tuple[ScopedToken, str]:
    """Issue `user` a scoped token named `name` (by `actor`: the user, an admin, or None
    for the command line). Returns (token, key); the key exists only in this value."""
    name = (name or "").strip()
    if not name:
        raise InvalidRequest("name: a token needs a name.", {"name": "required"})
    scripts = clean_scripts(scripts)
    if ScopedToken.objects.filter(user=user, name=name).exists():
        message = f"{user.get_username()} already has a token named {name!r}."
        raise InvalidRequest(message, {"name": message})
    try:
        with transaction.atomic():
            token, key = ScopedToken.issue(
                user, name, expires_at=expires_at, read_only=read_only, scripts=scripts
            )
            audit.record(
                actor,
                audit.AuditAction.ISSUE_TOKEN,
                user=user.get_username(),
                token=token.name,
                prefix=token.prefix,
                read_only=read_only,
                scripts=token.scripts,
                expires_at=expires_at.isoformat() if expires_at else None,
                **_actor_fields(actor),
            )
    except IntegrityError:  # the same name issued by a request racing this one
        message = f"{user.get_username()} already has a token named {name!r}."
        raise InvalidRequest(message, {"name": message}) from None
    return token, key


def revoke(actor: "User | None", token: ScopedToken) -> bool:
    """Revoke `token` (guarded: True only for the call that revoked it)."""
    with transaction.atomic():
        done = token.revoke()
        if done:
            audit.record(
                actor,
                audit.AuditAction.REVOKE_TOKEN,
                user=token.user.get_username(),
                token=token.name,
                prefix=token.prefix,
                **_actor_fields(actor),
            )
    return done


def user_named(username: str) -> "User":
    """The user of that name; an unknown one is refused (InvalidRequest, saying so)."""
    User = get_user_model()
    user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
    if user is None:
        raise InvalidRequest(f"No such user: {username}. Nothing was revoked.")
    return user


def revoke_named(actor: "User | None", username: str, name: str) -> tuple[ScopedToken, bool]:
    """Revoke the scoped token `name` of `username`: (token, whether this call revoked it).
    An unknown user or name is refused with the names that do exist."""
    user = user_named(username)
    token = ScopedToken.objects.select_related("user").filter(user=user, name=name).first()
    if token is None:
        names = list(ScopedToken.objects.filter(user=user).values_list("name", flat=True))
        listed = ", ".join(repr(item) for item in sorted(names)) or "none"
        raise InvalidRequest(
            f"{username} has no token named {name!r} (their tokens: {listed}). Nothing was revoked."
        )
    return token, revoke(actor, token)


def revoke_all_scoped(actor: "User | None", username: str) -> list[ScopedToken]:
    """Revoke every scoped token of `username` that still works; returns those revoked."""
    user = user_named(username)
    live = ScopedToken.objects.select_related("user").filter(user=user, revoked_at__isnull=True)
    return [token for token in live if revoke(actor, token)]


def revoke_legacy(actor: "User | None", username: str) -> bool:
    """Delete the legacy DRF token of `username` (it has at most one)."""
    user = user_named(username)
    with transaction.atomic():
        deleted, _ = Token.objects.filter(user=user).delete()
        if deleted:
            audit.record(
                actor,
                audit.AuditAction.REVOKE_TOKEN,
                user=username,
                **_actor_fields(actor),
            )
    return bool(deleted)


def scope_refusal(auth: Any, script: str) -> str | None:
    """Why the request's credentials may not touch runs or schedules of `script` (logged),
    or None. `auth` is DRF's request.auth: only a scoped token limited to some scripts
    has a scope; a legacy key and a session act as their user."""
    if not isinstance(auth, ScopedToken) or auth.allows_script(script):
        return None
    refused(describe(auth), f"out of its scope, for {script!r}")
    allowed = ", ".join(auth.scripts)
    return f"This token ({auth.name!r}) may act only on the scripts {allowed}, not {script!r}."


def in_scope[M: Model](auth: Any, queryset: QuerySet[M], field: str = "script") -> QuerySet[M]:
    """`queryset` (of runs or schedules) narrowed to the scripts of a scoped token."""
    if isinstance(auth, ScopedToken) and auth.scripts:
        return queryset.filter(**{f"{field}__in": auth.scripts})
    return queryset


def scripts_in_scope(auth: Any, keys: Iterable[str]) -> list[str]:
    return [key for key in keys if not isinstance(auth, ScopedToken) or auth.allows_script(key)]
