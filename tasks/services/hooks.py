"""Inbound webhooks a user makes for themselves: for a script they may run, with fixed
parameter values and the names of those a caller may send; revoked by their owner."""

import json
from typing import Any

from django.db.models import QuerySet

from tasks import access
from tasks.catalog import get_catalog
from tasks.models import Hook


class HookRefused(ValueError):
    """What the user asked for cannot be: the message says why."""


def of_user(user) -> QuerySet[Hook]:
    return Hook.objects.filter(owner=user).order_by("-created_at")


def create(user, *, name: str, script: str, params: Any, body_params: Any) -> tuple[Hook, str]:
    """Make a hook; return it with its token, shown once. `params` is an object (or its
    JSON text) of fixed values, `body_params` a list (or comma-separated text) of names."""
    entry = get_catalog().get(script)
    if entry is None or not access.can_run(user, entry):
        raise HookRefused(f"There is no script {script!r} you can run.")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise HookRefused("Give the hook a name (up to 100 characters).")
    if isinstance(params, str):
        try:
            params = json.loads(params or "{}")
        except ValueError as exc:
            raise HookRefused(f"The fixed parameters are not JSON: {exc}") from None
    if not isinstance(params, dict):
        raise HookRefused('The fixed parameters must be a JSON object, like {"name": "value"}.')
    if isinstance(body_params, str):
        body_params = [part.strip() for part in body_params.split(",") if part.strip()]
    known = {param.name for param in entry.params}
    unknown = sorted((set(params) | set(body_params)) - known)
    if unknown:
        takes = ", ".join(sorted(known)) or "nothing"
        raise HookRefused(f"{', '.join(unknown)}: not parameters of {script} (it takes {takes}).")
    secret = [param.name for param in entry.params if param.type == "secret"]
    if set(secret) & set(params):
        raise HookRefused("Secret parameters cannot be stored in a hook; let the caller send them.")
    return Hook.create(
        name=name, script=entry.key, owner=user, params=params, body_params=list(body_params)
    )


def revoke(user, pk) -> bool:
    hook = of_user(user).filter(pk=access.task_id(pk)).first()
    return hook is not None and hook.revoke()
