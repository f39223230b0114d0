"""The body of a notification webhook, as an OpenAPI component (`NotificationPayload`),
appended to /api/schema/ so receivers can generate or check against it. The README's
"Notifications" section describes it in prose; tasks/notifications/content.py builds it,
and tasks/tests/notifications/test_delivery.py checks a real body against this schema."""

_text = {"type": "string"}
_nullable_number = {"type": "number", "nullable": True}

RUN = {
    "type": "object",
    "required": ["id", "script", "status", "trigger", "user", "url"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "script": _text,
        "status": {
            "type": "string",
            "enum": ["pending", "running", "success", "failed", "cancelled"],
        },
        "trigger": {
            "type": "string",
            "enum": ["manual", "rerun", "schedule", "api", "terminal", "webhook"],
        },
        "user": _text,
        "duration_seconds": _nullable_number,
        "return_code": {"type": "integer", "nullable": True},
        "end_reason": _text,
        "exception": _text,
        "error": _text,
        "url": {"type": "string", "format": "uri"},
    },
}

NOTIFICATION_PAYLOAD = {
    "type": "object",
    "description": "POSTed to a webhook channel, signed: X-Executor-Signature is "
    "t=<unix time>,v1=<hex HMAC-SHA256 of '<unix time>.' + body, keyed with the channel's "
    "secret>. X-Executor-Delivery is the same on every retry of one message.",
    "required": ["event", "subject", "run", "log_tail", "held_back", "text"],
    "properties": {
        # A named component, not an inline enum: drf-spectacular's enum post-processing
        # rewrites inline enums of appended components in place, so a second schema
        # built in the same process pointed at a component it no longer added.
        "event": {"$ref": "#/components/schemas/NotificationEventEnum"},
        "subject": _text,
        "run": RUN,
        "log_tail": {"type": "array", "items": _text, "maxItems": 20},
        "summary": {
            "type": "string",
            "description": "The Markdown summary the script wrote (EXECUTOR_SUMMARY), or empty.",
        },
        "held_back": {"type": "integer", "minimum": 0},
        "text": _text,
    },
}

NOTIFICATION_EVENT_ENUM = {
    "type": "string",
    "enum": ["failed", "succeeded", "recovered", "cancelled", "stalled", "overran"],
}
