"""The run history: a paginated table that the server sorts and filters.

Every control is a query parameter (the API's task list reads the same ones, through
`tasks.history.filters`), so a filtered, sorted page can be bookmarked and shared.
"""

import uuid

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tasks import access, services
from tasks.history import filters, keyset, paging
from tasks.history.distinct import distinct_values
from tasks.history.paging import CappedPaginator
from tasks.models import Status, Trigger
from tasks.web.state import STATE_FIELDS, task_state

PAGE_SIZES = (25, 50, 100)
MAX_CHOICES = 200  # scripts and users offered in the filter menus
MAX_STATES = 100  # runs one live-rows request may ask about

# (label, ordering key in tasks.history.filters or None when the column does not sort)
COLUMNS = (
    ("Run", None),
    ("Script", "script"),
    ("User", "user"),
    ("Status", "status"),
    ("Progress", "progress"),
    ("Created", "created_at"),
    ("Duration", "duration"),
)

# How the "Sort by" menu words each direction: (ascending, descending).
ORDER_WORDS = {
    "created_at": ("oldest first", "newest first"),
    "duration": ("shortest first", "longest first"),
    "progress": ("lowest first", "highest first"),
    "status": ("A to Z", "Z to A"),
    "script": ("A to Z", "Z to A"),
    "user": ("A to Z", "Z to A"),
}


@require_GET
def history(request):
    visible = access.visible_tasks(request.user)
    error = ""
    try:
        runs = filters.apply(visible, request.GET)
        ordering = filters.ordering_value(request.GET)
        cursor = _cursor(request.GET.get("cursor"), ordering)
    except (filters.FilterError, keyset.CursorError) as exc:
        error = str(exc)
        runs = visible.none()
        ordering = filters.DEFAULT_ORDERING
        cursor = None
    page_size = _page_size(request.GET.get("page_size"))
    number, too_deep = request.GET.get("page"), None
    if cursor is None and not error:
        try:
            paging.refuse_deep_search(runs, request.GET, number, page_size)
        except paging.TooDeep as exc:
            # Said, with the first page under it: its Next link is the way down.
            number, too_deep = 1, exc.number
    pager = _pager(filters.listed(runs), ordering, cursor, page_size, number)
    sees_all = access.sees_all_runs(request.user)
    context = {
        **pager,
        "columns": _columns(ordering),
        "error": error,
        "too_deep": too_deep,
        "search_offset_limit": paging.SEARCH_OFFSET_LIMIT,
        "statuses": Status.choices,
        "chosen_statuses": _chosen(request, "status"),
        "triggers": Trigger.choices,
        "chosen_triggers": _chosen(request, "trigger"),
        "scripts": _scripts(request.user, visible),
        "chosen_scripts": _chosen(request, "script"),
        "users": _users(visible) if sees_all else [],
        "chosen_users": _chosen(request, "user"),
        "created_after": request.GET.get("created_after", ""),
        "created_before": request.GET.get("created_before", ""),
        "q": request.GET.get("q", ""),
        "page_size": page_size,
        "page_sizes": PAGE_SIZES,
        "ordering": ordering,
        "orderings": _orderings(ordering),
        "filtered": any(request.GET.get(name) for name in FILTER_NAMES)
        or any(name.startswith(filters.PARAM_PREFIX) for name in request.GET),
    }
    refused = error or too_deep
    return render(request, "tasks/history.html", context, status=400 if refused else 200)


# The filters a page may carry (besides `param.<name>`, see the filtered test above).
FILTER_NAMES = (
    "status", "trigger", "schedule", "script", "user", "created_after", "created_before", "q",
)  # fmt: skip


@require_GET
def task_states(request):
    """GET /tasks/states?id=…&id=…: the live state of up to 100 runs, for tables whose
    rows update while their runs go on. Runs the user may not see are left out."""
    ids = []
    for raw in request.GET.getlist("id")[:MAX_STATES]:
        try:
            ids.append(uuid.UUID(raw))
        except ValueError:
            continue
    runs = access.visible_tasks(request.user).filter(pk__in=ids).only(*STATE_FIELDS)
    return JsonResponse({"tasks": {str(task.pk): task_state(task) for task in runs}})


def _cursor(raw, ordering):
    return None if raw is None else keyset.decode(raw, ordering)


def _pager(runs, ordering, cursor, size, number):
    """The page's runs and its links: numbered pages from the first, cursors for "next"
    and "previous", so that clicking through deep pages never skips an offset."""
    counted = CappedPaginator(runs, size)
    if cursor is None:
        page = counted.get_page(number)
        rows, number = page.object_list, page.number
        after = keyset.next_of(rows, ordering, number, page.has_next())
        before = (
            keyset.at(rows[0], ordering, backwards=True, number=number - 1)
            if rows and number > 1
            else None
        )
    else:
        found = keyset.window(runs, cursor, size)
        rows, number, after, before = found.rows, found.number, found.next, found.previous
    exact = counted.exact
    return {
        "runs": rows,
        "counted": counted,
        "page_number": number,
        "last_page": -(-counted.capped // size) if exact else None,
        "next_cursor": after.encode() if after else None,
        "previous_cursor": before.encode() if before else None,
    }


def _page_size(raw):
    try:
        size = int(raw)
    except (TypeError, ValueError):
        return PAGE_SIZES[0]
    return size if size in PAGE_SIZES else PAGE_SIZES[0]


def _columns(ordering):
    """Each column's label, the ordering its header link asks for, and its aria-sort."""
    current = ordering.removeprefix("-")
    descending = ordering.startswith("-")
    columns = []
    for label, key in COLUMNS:
        column = {"label": label, "key": key, "sort": None, "next": None}
        if key is not None:
            if key == current:
                column["sort"] = "descending" if descending else "ascending"
                column["next"] = key if descending else f"-{key}"
            else:
                column["next"] = key
        columns.append(column)
    return columns


def _orderings(current):
    """The "Sort by" menu (phones have no column headers to click), newest first."""
    labels = {key: label for label, key in COLUMNS}
    choices = []
    for key, (ascending, descending) in ORDER_WORDS.items():
        choices.append((f"-{key}", f"{labels[key]}, {descending}"))
        choices.append((key, f"{labels[key]}, {ascending}"))
    if current not in {value for value, _ in choices}:
        choices.append((current, current))
    return choices


def _chosen(request, name):
    return [item.strip() for value in request.GET.getlist(name) for item in value.split(",")]


def _scripts(user, visible):
    entries, _ = services.scripts_for(user)
    names = {entry.key for entry in entries}
    if access.sees_all_runs(user):
        names.update(distinct_values("script", MAX_CHOICES))
    else:
        # One user's runs: the (user, created_at) index narrows to them first.
        names.update(visible.order_by().values_list("script", flat=True).distinct()[:MAX_CHOICES])
    return sorted(names)[:MAX_CHOICES]


def _users(visible):
    """Only for those who see every run: a loose scan of the user-name index."""
    return distinct_values("user_name", MAX_CHOICES)
