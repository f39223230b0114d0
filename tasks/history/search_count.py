"""The capped count of a search for a common text on SQLite, read from the search index.

The count stops at 1,001 runs (tasks/history/paging.py). A page of a common text is
found by testing the runs in the page's order (tasks/history/search.py), but its count
cannot stop early that way: SQLite tests the runs in the order of the id index, and a
text that 1 % of the runs hold is tested on 100,000 of them before 1,001 are found
(250 ms at a million runs). So the count walks the index's matches instead, newest
first, and tests each against the whole query (its other filters, access, the text):
1,001 matches of the text alone are 1,001 runs read. The matches walked are those of
the text's sparsest trigram, each tested for the whole text (search.Walk): the phrase
would read the doclists of every trigram of the text for each match. A query whose
other filters keep few of the matches would walk them all, so the walk stops after
`WALKED` matches; if 1,001 runs were not found by then and the text has more matches,
the count is the plain one, through whichever index those filters have.
"""

from django.db import connections
from django.db.models import TextField
from django.db.models.expressions import RawSQL

from tasks.history.search import COMMON, SQLITE_MATCHES

WALKED = 5_000  # matches tested at most before the count is left to the filters' index

# Constant SQL around the query's own (compiled by the ORM); the values are parameters.
FROM_INDEX = (
    "SELECT count(*) FROM (SELECT 1 FROM (SELECT rowid FROM tasks_task_search WHERE "
    "tasks_task_search MATCH %s ORDER BY rowid DESC LIMIT %s) AS found JOIN "
    "tasks_task_search_row AS driver ON driver.id = found.rowid WHERE {holds}EXISTS ({runs}) "
    "LIMIT %s)"
)
# A walk through one of the text's trigrams tests each match for the whole text first
# (the query's own test of it is then true; SQLite's lower() as search.SQLITE_HOLDS).
HOLDS = "instr(lower(driver.body), %s) > 0 AND "


def capped_count(queryset, limit):
    """How many runs `queryset` holds, counted up to `limit`."""
    texts = getattr(queryset.query, COMMON, ())
    if texts and connections[queryset.db].vendor == "sqlite":
        counted = _from_index(queryset, texts[0], limit)
        if counted is not None:
            return counted
    return queryset.order_by()[:limit].count()


def _from_index(queryset, walk, limit):
    """The count through the index's matches of `walk` (a search.Walk), or None when
    `WALKED` of them did not settle it."""
    driver = RawSQL('"driver"."task_id"', (), output_field=TextField())
    runs = queryset.order_by().filter(pk=driver).values("pk")
    sql, params = runs.query.get_compiler(queryset.db).as_sql()
    holds, tested = ("", []) if walk.text is None else (HOLDS, [walk.text])
    statement = FROM_INDEX.format(holds=holds, runs=sql)
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(statement, [walk.matches, WALKED, *tested, *params, limit])
        counted = cursor.fetchone()[0]
        if counted >= limit:
            return limit
        cursor.execute(SQLITE_MATCHES, [walk.matches, WALKED + 1])
        if cursor.fetchone()[0] <= WALKED:
            return counted  # every match was tested
    return None
