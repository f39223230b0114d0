"""The live stream and its polling fallback in the OpenAPI schema.

They are plain Django views (tasks.web.stream), which drf-spectacular does not see, so
this postprocessing hook adds their two paths to the generated schema, by hand. The
schemathesis test (tasks/tests/api/test_schema.py) calls both and checks every
answer against what is written here, so the text cannot drift from the views.
"""

ERROR = {"$ref": "#/components/schemas/ErrorEnvelope"}
POSITION = {"type": "integer", "minimum": 0}


def _error(description):
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


PARAMETERS = [
    {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
        "description": "The run's id.",
    },
    {
        "name": "offset",
        "in": "query",
        "schema": POSITION,
        "description": "Start after this byte of the log (the next_offset of the last batch).",
    },
    {
        "name": "tail",
        "in": "query",
        "schema": POSITION,
        "description": "Without offset: start at the first whole line of the last N bytes.",
    },
    {
        "name": "lines",
        "in": "query",
        "schema": {"type": "string", "enum": ["1"]},
        "description": "1: each part also carries its arrival time and line number.",
    },
    {
        "name": "Last-Event-ID",
        "in": "header",
        "schema": POSITION,
        "description": "What a reconnecting EventSource sends; wins over offset.",
    },
]

STATE = {
    "type": "object",
    "additionalProperties": True,
    "description": "The run's state as the live pages show it (status, progress, ...); "
    "progress is null here until the script reports it.",
}

EVENT = {
    "type": "object",
    "description": "One event; its data is JSON text.",
    "required": ["event", "id", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["log", "state", "end"]},
        "id": {"type": "string", "pattern": "^[0-9]+$", "description": "The log offset."},
        "data": {"type": "string"},
    },
}

POLL = {
    "type": "object",
    "required": ["offset", "next_offset", "parts", "state", "more", "end"],
    "properties": {
        "offset": {"type": "integer"},
        "next_offset": {"type": "integer", "description": "Send it as ?offset= next time."},
        "parts": {
            "type": "array",
            "description": "[stream, text] pairs in order; stream is out, err or gap. "
            "With ?lines=1, [stream, text, arrival, line]: when the engine received the "
            "part's chunk (ms since the epoch, or null) and the number of the line its first "
            "byte is on.",
            "items": {"type": "array", "items": {}, "minItems": 2, "maxItems": 4},
        },
        "state": STATE,
        "more": {"type": "boolean", "description": "More output waits: ask again at once."},
        "end": {"type": "boolean", "description": "The run is over and this is all of it."},
    },
}

ERRORS = {
    "400": _error("offset, tail or Last-Event-ID is not a whole number of 0 or more."),
    "401": _error("No valid session or token."),
    "403": _error("The token's scope leaves out this run's script."),
    "404": _error("No such run, or not one you may see."),
}

EVENTS = {
    "get": {
        "operationId": "tasks_events",
        "tags": ["live"],
        "summary": "Follow a run live (Server-Sent Events)",
        "description": "Events `log` (data: offset, next_offset, parts), `state` (the run's "
        "state when it changes) and `end` (the last one). Each event's id is the log offset "
        "after it, so a reconnect resumes exactly. Follow a run with "
        "`curl -N -H 'Authorization: Token <key>' -H 'Accept: text/event-stream' "
        "https://host/tasks/<id>/events/`.",
        "parameters": PARAMETERS,
        "responses": {
            "200": {
                "description": "The event stream; it ends after the `end` event.",
                "content": {"text/event-stream": {"schema": EVENT}},
            },
            **ERRORS,
        },
    }
}

POLL_OPERATION = {
    "get": {
        "operationId": "tasks_poll",
        "tags": ["live"],
        "summary": "One batch of what the live stream would send (polling fallback)",
        "parameters": PARAMETERS,
        "responses": {
            "200": {"description": "A batch", "content": {"application/json": {"schema": POLL}}},
            **ERRORS,
        },
    }
}


def add_live_paths(result, generator, request, public):
    """Postprocessing hook: the stream and the poll, with the security of the API."""
    security = next(
        (op.get("security") for path in result["paths"].values() for op in path.values()), None
    )
    for path, item in (("/tasks/{id}/events/", EVENTS), ("/tasks/{id}/poll/", POLL_OPERATION)):
        operation = {**item["get"]}
        if security is not None:
            operation["security"] = security
        result["paths"][path] = {"get": operation}
    return result
