"""Pages of the history that never count the whole table.

Django's Paginator counts every matching run on every request: at a million runs that
count costs more than the page itself. This one reads each page with one run more than
it shows, which says whether a next page exists, and counts the matching runs only up to
`COUNT_CAP`. Past that the count is a lower bound and `exact` is False: the history page
says "More than 1000 runs", the API `count_exact: false`, and neither offers a "last
page" link. Django's Paginator does everything else (page numbers, validation, Page).

A search or a parameter filter has no index in the page's order: its deep offset pages
read and test every run they skip (page 1000 of `q=eu` tests some 150,000). Those pages
are refused past `SEARCH_OFFSET_LIMIT` runs (`refuse_deep_search`); their cursor pages
(tasks.history.keyset) cost what the first page does at any depth. Plain filters and
orderings keep their deep offset pages: those skip through an index.
"""

from contextlib import suppress
from functools import cached_property

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator

from tasks.history import filters, search_count

COUNT_CAP = 1_000
DEEP = 1_000  # runs skipped from which a page is read in two steps
SEARCH_OFFSET_LIMIT = 1_000  # runs a searched page may skip by number (<= COUNT_CAP)
SEARCH_NAMES = ("q", "search")


class TooDeep(ValueError):
    """A numbered page of a search that starts past SEARCH_OFFSET_LIMIT matching runs."""

    def __init__(self, number):
        self.number = number
        super().__init__(
            f"page {number} of a search or parameter filter starts past run "
            f"{SEARCH_OFFSET_LIMIT:,}, too deep to read by number; start from the first "
            "page and follow next_cursor (cursor pages are as fast at any depth)"
        )


def searched(params):
    """Whether `params` (a QueryDict or dict) search the text or filter by a parameter."""
    return any((params.get(name) or "").strip() for name in SEARCH_NAMES) or any(
        key.startswith(filters.PARAM_PREFIX) for key in params
    )


def refuse_deep_search(queryset, params, number, size):
    """TooDeep when page `number` of `size` runs of the searched `queryset` starts past
    SEARCH_OFFSET_LIMIT of its runs. A page past the end of a smaller search is left to
    the paginator (the last page, or 404): it reads nothing it has to skip."""
    if not too_deep_for_a_search(number, size) or not searched(params):
        return
    if CappedPaginator(queryset, size).capped > SEARCH_OFFSET_LIMIT:
        raise TooDeep(int(number))


def too_deep_for_a_search(number, size):
    """Whether page `number` (as asked: text, maybe not a number) of `size` runs starts
    past SEARCH_OFFSET_LIMIT; False for what is no page number (the paginator says so)."""
    try:
        return (int(number) - 1) * size >= SEARCH_OFFSET_LIMIT
    except (TypeError, ValueError):
        return False


class CappedPaginator(Paginator):
    """`asked`: the page number that will be asked for, when the count is read before a
    page is (the admin's change list reads the count first)."""

    def __init__(self, *args, asked=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked = 1
        with suppress(TypeError, ValueError):
            self.asked = max(1, int(asked))
        self._rows = None

    @cached_property
    def capped(self):
        # Unordered: the database counts through whichever index is cheapest (a common
        # search on SQLite: through its matches, tasks/history/search_count.py).
        return search_count.capped_count(self.object_list, COUNT_CAP + 1)

    def _read(self, number):
        """The rows of page `number` and one more, read once."""
        if self._rows is None or self._rows[0] != number:
            bottom = (number - 1) * self.per_page
            window = slice(bottom, bottom + self.per_page + 1)
            if bottom < DEEP:
                rows = list(self.object_list[window])
            else:
                # A deep page skips its offset on ids alone, through the ordering's index
                # (it holds the id: an index-only scan), then reads only the page's rows.
                # PostgreSQL would otherwise read every skipped row from the table.
                ids = list(self.object_list.values_list("pk", flat=True)[window])
                rows = list(self.object_list.filter(pk__in=ids)) if ids else []
            self._rows = (number, rows)
        return self._rows[1]

    @cached_property
    def count(self):
        number = self.asked
        rows = self._read(number)
        bottom = (number - 1) * self.per_page
        if len(rows) <= self.per_page and (rows or bottom == 0):
            # The page reaches the end: every run is counted without a count (a rare
            # search is read from its index once, not twice).
            self.__dict__.setdefault("capped", min(bottom + len(rows), COUNT_CAP + 1))
        if self.capped <= COUNT_CAP:
            return self.capped
        # More than the cap: at least up to this page, and one more if it has a next.
        return max(COUNT_CAP + 1, bottom + len(rows))

    @property
    def exact(self):
        return self.capped <= COUNT_CAP

    @property
    def limit(self):
        return COUNT_CAP + 1  # "more than limit - 1" when not exact

    def validate_number(self, number):
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        if number != self.asked and self._rows is None:
            # Before any page is read (a page's next and previous numbers are checked
            # against the count of the page that was read).
            self.asked = number
            for name in ("count", "num_pages"):
                self.__dict__.pop(name, None)
        if number > self.num_pages and not (number == 1 and self.allow_empty_first_page):
            raise EmptyPage(self.error_messages["no_results"])
        return number

    def page(self, number):
        number = self.validate_number(number)
        rows = self._read(number)
        if not rows and number > 1:
            raise EmptyPage("That page contains no results")
        return Page(rows[: self.per_page], number, self)

    def get_page(self, number):
        """Like Django's, but a page past the end of an uncounted history goes to the
        first page (its last page is not known)."""
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.num_pages if self.exact else 1)
