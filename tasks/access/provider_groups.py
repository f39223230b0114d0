"""A sign-in provider's groups as the user's Django groups and staff/superuser flags.

Every provider (OpenID Connect, LDAP) calls `apply_provider_groups` at each sign-in with
the group names it asserts for the user. The catalog's per-script access and the pages'
permissions read Django groups and flags only (`tasks.access`), so what is set here is
what the user may do, on the pages and with their API tokens alike, until the next
sign-in sets it again. A user the provider no longer lists in a group loses it then.

Settings (from the environment, see the README's "Sign-in providers"):

- `EXECUTOR_SSO_GROUP_MAP` ({provider group: [Django group, ...]}). Empty: every
  provider group is mirrored as the Django group of the same name (created when missing),
  and the user's Django groups become exactly those. Set: only the mapped provider groups
  count, and only the map's Django groups are managed (a group given by hand in the admin
  that the map does not name is left alone).
- `EXECUTOR_SSO_STAFF_GROUPS`, `EXECUTOR_SSO_SUPERUSER_GROUPS` (lists of provider
  groups). Set: a member of one is staff (superuser, which is staff too), a non-member
  is not. Empty: the flag is not managed by the provider and stays as an admin set it.

Hand-written: django-auth-ldap's mirroring is LDAP-only and mozilla-django-oidc has none,
and both providers must follow one rule.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

logger = logging.getLogger("tasks.access.provider_groups")


@dataclass(frozen=True)
class Roles:
    """What a set of provider groups grants. `is_staff`/`is_superuser` are None when that
    flag is not managed by the provider (its setting is empty)."""

    groups: frozenset[str]
    managed: frozenset[str] | None  # None: every Django group is managed (mirroring)
    is_staff: bool | None = None
    is_superuser: bool | None = None


@dataclass(frozen=True)
class RoleChange:
    """What one sign-in changed, for the log."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    flags: dict[str, bool] = field(default_factory=dict)

    def __bool__(self):
        return bool(self.added or self.removed or self.flags)


def clean_names(values) -> list[str]:
    """A claim's or attribute's value as group names: a list of strings or one string;
    anything else (numbers, objects, empty names) is dropped."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, Iterable):
        return []
    return [value.strip() for value in values if isinstance(value, str) and value.strip()]


def roles_for(provider_groups: Iterable[str]) -> Roles:
    """The Django groups and flags `provider_groups` grant under the current settings."""
    names = set(clean_names(list(provider_groups)))
    mapping: dict[str, list[str]] = getattr(settings, "EXECUTOR_SSO_GROUP_MAP", {})
    if mapping:
        groups = {target for name in names for target in mapping.get(name, ())}
        managed: frozenset[str] | None = frozenset(t for ts in mapping.values() for t in ts)
    else:
        groups, managed = names, None
    staff = set(getattr(settings, "EXECUTOR_SSO_STAFF_GROUPS", []))
    superuser = set(getattr(settings, "EXECUTOR_SSO_SUPERUSER_GROUPS", []))
    is_superuser = bool(names & superuser) if superuser else None
    is_staff = bool(names & staff) if staff else None
    if is_superuser:
        is_staff = True
    return Roles(frozenset(groups), managed, is_staff, is_superuser)


def apply_provider_groups(user, provider_groups: Iterable[str], *, source: str) -> RoleChange:
    """Set `user`'s Django groups and staff/superuser flags from the group names a
    provider asserts at sign-in (`source` names the provider in the log: "oidc", "ldap").
    One transaction: the user ends with all of the new roles or none of them."""
    roles = roles_for(provider_groups)
    with transaction.atomic():
        current = set(user.groups.values_list("name", flat=True))
        in_scope = current if roles.managed is None else current & roles.managed
        removed = sorted(in_scope - roles.groups)
        added = sorted(roles.groups - current)
        if removed:
            user.groups.remove(*Group.objects.filter(name__in=removed))
        for name in added:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
        flags = {}
        for flag in ("is_staff", "is_superuser"):
            wanted = getattr(roles, flag)
            if wanted is not None and getattr(user, flag) != wanted:
                setattr(user, flag, wanted)
                flags[flag] = wanted
        if flags:
            user.save(update_fields=list(flags))
    # Cached by tasks.access for the request; the next question must see the new groups.
    for cache in ("_executor_group_names", "_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)
    change = RoleChange(tuple(added), tuple(removed), flags)
    if change:
        logger.info(
            "%s sign-in of %s: groups added %s, removed %s, flags %s",
            source,
            user.get_username(),
            list(change.added),
            list(change.removed),
            change.flags,
        )
    return change
