"""The run page's window on a long log: slices by byte offset or line, and search.

The page holds a few slices and asks for more as the reader scrolls or jumps; it never
loads the whole log (tasks/history/log_window.py, tasks/history/log_search.py).
"""

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from tasks.history import log_search, log_window, logs
from tasks.web.views.common import visible_task


def _refused(message):
    return JsonResponse({"success": False, "error": message}, status=400)


@require_GET
def task_log_window(request, pk):
    """GET ?offset=N (lines from byte N on), ?before=N (lines that end at byte N),
    ?line=L (lines from line L on), ?before_line=L (the lines before line L) or nothing
    (the last lines)."""
    task = visible_task(request.user, pk)
    query = request.GET
    try:
        if "line" in query:
            number = max(1, logs.whole_number(query["line"], "line"))
            start = log_window.line_start(task.pk, number)
            if start is None:
                _, lines = log_window.extent(task.pk)
                return _refused(f"line: the log has {lines:,} lines, there is no line {number:,}.")
            pieces = log_window.after(task.pk, start)
        elif "before_line" in query:
            number = max(1, logs.whole_number(query["before_line"], "before_line"))
            end = log_window.line_start(task.pk, number)
            if end is None:
                end, _ = log_window.extent(task.pk)
            pieces, start = log_window.before(task.pk, end), end
        elif "before" in query:
            end = logs.whole_number(query["before"], "before")
            pieces, start = log_window.before(task.pk, end), end
        elif "offset" in query:
            start = logs.whole_number(query["offset"], "offset")
            pieces = log_window.after(task.pk, start)
        else:
            start, _ = log_window.extent(task.pk)
            pieces = log_window.before(task.pk, start)
    except logs.BadPosition as exc:
        return _refused(str(exc))
    window = log_window.as_window(task.pk, pieces, requested=start)
    return JsonResponse(window, json_dumps_params={"ensure_ascii": False})


@require_GET
def task_log_search(request, pk):
    """GET ?q=text&from=N[&back=1]: the match at or after byte N (before it, with back),
    its number among all matches, and how many there are."""
    task = visible_task(request.user, pk)
    try:
        query = log_search.clean_query(request.GET.get("q"))
        position = logs.whole_number(request.GET.get("from", "0"), "from")
    except logs.BadPosition as exc:
        return _refused(str(exc))
    found = log_search.search(task.pk, query, position, backwards=request.GET.get("back") == "1")
    return JsonResponse(
        {
            "count": found.count,
            "complete": found.complete,
            "index": found.index,
            "offset": found.offset,
            "line": found.line,
        }
    )
