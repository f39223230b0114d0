"""GET /api/tasks/<id>/logs without an offset: the seed's form, the whole log as one JSON
string, streamed from the database chunk by chunk.

Built as DRF would render `ok(logs=..., ...)`, but written as it is read, so that a
reader of a 64 MiB log costs the server a few chunks instead of several copies of the
log (the string, its JSON, the response). The fields known only at the end (next_offset,
complete) come after "logs"; a JSON object's keys have no order.
"""

import json
import sys

from django.http import StreamingHttpResponse

from tasks.api.envelope import ok
from tasks.history import logs

# Up to this size the log is answered as one ordinary response (what a test client or a
# middleware that reads `response.content` expects); past it, streamed.
STREAM_FROM = logs.DEFAULT_LIMIT


def whole_log_response(task):
    if task.log_bytes <= STREAM_FROM:
        whole = logs.read(task.pk, 0, limit=sys.maxsize)
        return ok(
            logs=whole.text,
            offset=0,
            next_offset=whole.next_offset,
            complete=task.is_finished and whole.next_offset >= task.log_bytes,
            log_bytes=task.log_bytes,
            dropped_bytes=task.log_dropped_bytes,
            status=task.status,
        )
    return StreamingHttpResponse(_body(task), content_type="application/json")


def _body(task):
    # Read before the chunks: if it said finished, every chunk was already stored.
    finished, log_bytes = task.is_finished, task.log_bytes
    head = {
        "success": True,
        "offset": 0,
        "log_bytes": log_bytes,
        "dropped_bytes": task.log_dropped_bytes,
        "status": task.status,
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "logs": "'
    position = 0
    for text, end in logs.iter_pieces(task.pk):
        yield json.dumps(text, ensure_ascii=False)[1:-1]
        position = end
    tail = {"next_offset": position, "complete": finished and position >= log_bytes}
    yield '", ' + json.dumps(tail)[1:]
