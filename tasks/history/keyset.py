"""Keyset pages of the history: "the runs after this one", not "skip n runs".

An offset page reads and throws away every run before it: page 1000 of a search that a
third of the history matches tests some 150,000 runs. A cursor names the last run of the
page shown (its values in the page's ordering, id included), and the next page is read
from there through the ordering's index, so every page costs what the first one does.

Written here rather than taken from DRF's CursorPagination or django-cursor-pagination:
DRF keys on the first ordering column alone and steps over ties by an offset (a status
or a script is shared by a fifth of the history, so the ties are the offset again), and
both ask for "after" in one query with an OR of the columns, which PostgreSQL answers by
walking the index from its start. Here "after" is split into ranges that each walk one
stretch of the index, read in turn until the page is full (at most one per column):

    (created_at, id) after (c, i):  created_at = c AND id > i,  then  created_at > c

Unknown values sort first ascending and last descending (tasks.history.filters), so for
a nullable column NULL is one more step of its own.
"""

import base64
import binascii
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q

from tasks.history import filters
from tasks.models import Task

BAD = "not a cursor of this history (it is made by a page's next and previous links)"


class CursorError(ValueError):
    """A cursor that cannot be read or that belongs to another ordering."""


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after (or, `backwards`, before) the run whose ordering values
    are `values`. `number` is the page number it leads to, only to be shown."""

    ordering: str
    values: tuple
    backwards: bool = False
    number: int = 2

    def encode(self):
        data = {"o": self.ordering, "v": list(self.values), "n": self.number}
        if self.backwards:
            data["b"] = 1
        text = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(text).decode().rstrip("=")


def keys(ordering):
    """The columns of `ordering` (an ordering parameter such as "-duration") as (name,
    descending) pairs, tie-breaker last."""
    fields = filters.ordering_fields(ordering)
    return [(field.lstrip("-"), field.startswith("-")) for field in fields]


def flipped(ordering):
    return ordering[1:] if ordering.startswith("-") else f"-{ordering}"


def decode(text, ordering):
    """The Cursor in `text` for a page sorted by `ordering`; CursorError if it is not one."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        data = json.loads(raw)
        made_for, values = data["o"], data["v"]
        number = int(data.get("n", 2))
        backwards = bool(data.get("b"))
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise CursorError(f"cursor: {BAD}") from None
    if not isinstance(made_for, str) or not isinstance(values, list):
        raise CursorError(f"cursor: {BAD}")
    if made_for != ordering:
        raise CursorError(
            f"cursor: it was made for ordering={made_for[:40]}, not {ordering}; "
            "ask for the first page again without it"
        )
    columns = keys(ordering)
    if len(values) != len(columns):
        raise CursorError(f"cursor: {BAD}")
    parsed = []
    for (name, _), value in zip(columns, values, strict=True):
        if value is None:
            parsed.append(None)
            continue
        if not isinstance(value, str | int | float):
            raise CursorError(f"cursor: {BAD}")
        try:
            parsed.append(Task._meta.get_field(name).to_python(value))
        except ValidationError:
            raise CursorError(f"cursor: {BAD}") from None
    return Cursor(ordering, tuple(parsed), backwards, max(1, number))


def at(task, ordering, *, backwards=False, number=2):
    """The Cursor of the page after (or before) `task` in `ordering`."""
    values = []
    for name, _ in keys(ordering):
        field = Task._meta.get_field(name)
        value = field.value_from_object(task)
        values.append(None if value is None else _plain(field, task, value))
    return Cursor(ordering, tuple(values), backwards, number)


def _plain(field, task, value):
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return field.value_to_string(task)


def _after(name, descending, value):
    """The steps of "after `value`" in one column, in the order the index holds them."""
    nullable = name in filters.NULLABLE
    if not descending:
        return [Q(**{f"{name}__isnull": False})] if value is None else [Q(**{f"{name}__gt": value})]
    if value is None:
        return []  # NULL is last descending: nothing after it in this column
    steps = [Q(**{f"{name}__lt": value})]
    return [*steps, Q(**{f"{name}__isnull": True})] if nullable else steps


def _equal(name, value):
    return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})


def ranges(columns, values):
    """The conditions that together are "after `values`", nearest first."""
    found = []
    for depth in range(len(columns) - 1, -1, -1):
        prefix = Q()
        for (name, _), value in zip(columns[:depth], values[:depth], strict=True):
            prefix &= _equal(name, value)
        name, descending = columns[depth]
        found.extend(prefix & step for step in _after(name, descending, values[depth]))
    return found


def read(queryset, cursor, size):
    """Up to `size` + 1 runs of `queryset` from `cursor` on, in the page's order (so a
    run more than `size` says that more follow in the direction read)."""
    ordering = flipped(cursor.ordering) if cursor.backwards else cursor.ordering
    order = filters.ordering({"ordering": ordering})
    rows = []
    for condition in ranges(keys(ordering), cursor.values):
        wanted = size + 1 - len(rows)
        if wanted <= 0:
            break
        rows.extend(queryset.filter(condition).order_by(*order)[:wanted])
    return rows


@dataclass(frozen=True)
class Window:
    """A page read from a cursor: its runs, its number and the cursors next to it."""

    rows: list
    number: int
    next: Cursor | None
    previous: Cursor | None


def window(queryset, cursor, size):
    """The page of `size` runs that `cursor` leads to."""
    rows = read(queryset, cursor, size)
    more = len(rows) > size
    rows = rows[:size]
    if cursor.backwards:
        rows.reverse()
        # Read backwards to the first run: that is the first page, whatever the link said.
        number = max(2, cursor.number) if more else 1
        before, after = more, True
    else:
        number, before, after = cursor.number, True, more
    return Window(
        rows,
        number,
        at(rows[-1], cursor.ordering, number=number + 1) if after and rows else None,
        at(rows[0], cursor.ordering, backwards=True, number=number - 1)
        if before and rows
        else None,
    )


def next_of(rows, ordering, number, has_next):
    """The cursor of the page after an offset page numbered `number` (None at the end)."""
    return at(rows[-1], ordering, number=number + 1) if has_next and rows else None
