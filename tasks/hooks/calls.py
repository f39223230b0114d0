"""One call of an inbound webhook: who it is (bearer token or GitHub signature), what it
runs (fixed parameters and the allowed ones from the body), and once per idempotency key."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from tasks import services
from tasks.history import audit
from tasks.models import Hook, HookCall, Task, Trigger
from tasks.models.hooks import IDEMPOTENCY_WINDOW


class Refused(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def authenticate(hook: Hook, headers, body: bytes) -> str:
    """How the caller proved it may call `hook` ("token" or "signature"); Refused (401)
    when it did not."""
    authorization = headers.get("Authorization", "")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token and hook.token_matches(token.strip()):
            return "token"
        raise Refused("The bearer token is not this hook's.", 401)
    signature = headers.get("X-Hub-Signature-256", "")
    if signature:
        if hook.signature_matches(body, signature):
            return "signature"
        raise Refused("The X-Hub-Signature-256 signature does not match the body.", 401)
    raise Refused(
        "Authentication required: send 'Authorization: Bearer <token>' or a GitHub "
        "'X-Hub-Signature-256' signature.",
        401,
    )


def params_for(hook: Hook, data) -> dict:
    """The run's parameters: those the hook takes from the body, then its fixed ones."""
    taken = {}
    if isinstance(data, dict):
        taken = {name: data[name] for name in hook.body_params if name in data}
    return {**taken, **hook.params}


def start(hook: Hook, data, key: str) -> tuple[Task, bool]:
    """Start the hook's run; return (task, started). With an idempotency `key` seen for
    this hook in the last 24 hours, return that call's run and start nothing."""
    owner = hook.owner
    if not owner.is_active:
        raise Refused("This hook's owner can no longer run scripts.", 403)
    if key:
        HookCall.objects.filter(
            hook=hook, key=key, created_at__lt=timezone.now() - IDEMPOTENCY_WINDOW
        ).delete()
        earlier = HookCall.objects.filter(hook=hook, key=key).select_related("task").first()
        if earlier is not None and earlier.task is not None:
            return earlier.task, False
    try:
        with transaction.atomic():
            call = HookCall.objects.create(hook=hook, key=key) if key else None
            task = services.execute(
                owner, hook.script, params_for(hook, data), trigger=Trigger.WEBHOOK
            )
            if call is not None:
                call.task = task
                call.save(update_fields=["task"])
            Hook.objects.filter(pk=hook.pk).update(last_called_at=timezone.now())
            audit.record(owner, audit.AuditAction.HOOK_CALL, task=task, hook=str(hook.pk))
    except IntegrityError:
        # The same key in a concurrent call, which won: its run is this call's.
        earlier = HookCall.objects.filter(hook=hook, key=key).select_related("task").first()
        if earlier is None or earlier.task is None:
            raise
        return earlier.task, False
    return task, True


def record_refusal(hook_id, reason: str) -> None:
    """Refused calls are in the trail too (no actor: the caller proved nothing)."""
    with transaction.atomic():
        audit.record(None, audit.AuditAction.HOOK_CALL, hook=str(hook_id), refused=reason)
