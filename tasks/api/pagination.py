"""The task list's pages: numbered pages with a capped count, and cursors for deep ones.

`?page=n&page_size=m` works as it always did (the envelope's count, count_exact, next,
previous). Every answer also carries `next_cursor` and `previous_cursor`: links that
read the neighbouring page from the edge of this one through the ordering's index
(tasks.history.keyset), so page 1000 costs what page 1 does. Following a cursor link
keeps the same envelope; `next` and `previous` are then cursor links too.

A numbered page of a search (`q`) or a parameter filter (`param.<name>`) that starts past
run 1,000 is a 400 that says to follow `next_cursor` (tasks.history.paging.TooDeep): no
index skips such an offset, so it would test every run before it.
"""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.utils.urls import remove_query_param, replace_query_param

from tasks.api.envelope import ok
from tasks.history import filters, keyset, paging
from tasks.history.paging import COUNT_CAP, CappedPaginator

REQUIRED = (
    "success", "count", "count_exact", "next", "previous", "next_cursor", "previous_cursor",
    "tasks",
)  # fmt: skip


class TaskPagination(PageNumberPagination):
    """Pages with a capped count (tasks.history.paging): `count` is exact when
    `count_exact` is true, else the number of runs counted, a lower bound."""

    django_paginator_class = CappedPaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    cursor_query_param = "cursor"

    def get_page_size(self, request):
        """DRF falls back to the default for a bad page_size; a client that asked for
        something else must hear that its value was not used."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            limit = self.max_page_size
            message = f"must be a whole number from 1 to {limit}, got {raw[:40]!r}."
            raise ValidationError({"page_size": message})
        return size

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        ordering = filters.ordering_value(request.query_params)
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            self.window = None
            number = request.query_params.get(self.page_query_param)
            try:
                size = self.get_page_size(request)
                paging.refuse_deep_search(queryset, request.query_params, number, size)
            except paging.TooDeep as exc:
                raise ValidationError({self.page_query_param: str(exc)}) from None
            rows = super().paginate_queryset(queryset, request, view) or []
            number = self.page.number
            self.next_cursor = keyset.next_of(rows, ordering, number, self.page.has_next())
            self.previous_cursor = (
                keyset.at(rows[0], ordering, backwards=True, number=number - 1)
                if rows and number > 1
                else None
            )
            return rows
        if self.page_query_param in request.query_params:
            raise ValidationError("cursor: give either page or cursor, not both")
        try:
            cursor = keyset.decode(raw, ordering)
        except keyset.CursorError as exc:
            raise ValidationError(str(exc)) from None
        size = self.get_page_size(request)
        self.counted = CappedPaginator(queryset, size)
        self.window = keyset.window(queryset, cursor, size)
        self.next_cursor, self.previous_cursor = self.window.next, self.window.previous
        return self.window.rows

    def _cursor_link(self, cursor):
        if cursor is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, cursor.encode())

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
            if parameter["name"] == self.page_query_param:
                parameter["schema"].update(minimum=1)
                parameter["description"] = (
                    "A page number. With q or param.<name>, a page that starts past run "
                    f"{paging.SEARCH_OFFSET_LIMIT:,} is a 400: follow next_cursor instead."
                )
        parameters.append(
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where a page starts: from an answer's next_cursor or "
                "previous_cursor link (not with page). Deep pages are as fast as the first.",
                "schema": {"type": "string"},
            }
        )
        return parameters

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": [*REQUIRED],
            "properties": {
                "success": {"type": "boolean"},
                "count": {
                    "type": "integer",
                    "description": "The matching runs; a lower bound when count_exact is false.",
                },
                "count_exact": {
                    "type": "boolean",
                    "description": f"False past {COUNT_CAP:,} runs: count is then a lower bound.",
                },
                "next": link,
                "previous": link,
                "next_cursor": {**link, "description": "The next page, read by cursor."},
                "previous_cursor": {**link, "description": "The page before, by cursor."},
                "tasks": schema,
            },
        }

    def get_paginated_response(self, data):
        next_cursor = self._cursor_link(self.next_cursor)
        previous_cursor = self._cursor_link(self.previous_cursor)
        if self.window is None:
            counted, links = self.page.paginator, (self.get_next_link(), self.get_previous_link())
        else:
            counted, links = self.counted, (next_cursor, previous_cursor)
        return ok(
            count=counted.capped if self.window is not None else counted.count,
            count_exact=counted.exact,
            next=links[0],
            previous=links[1],
            next_cursor=next_cursor,
            previous_cursor=previous_cursor,
            tasks=data,
        )
