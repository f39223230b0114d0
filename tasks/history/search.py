"""Find runs by text through each database's own index, never by reading every row.

`q` finds a run by the first characters of its id (a range of the primary key) or by any
part of its search document: script, user, exception line, the decoded arguments of its
command line and its parameters as `name=value`. The document and its index are made by
migration 0015 and kept in step with the rows by the database: on SQLite an FTS5 trigram
table that triggers write, on PostgreSQL a pg_trgm GIN index on a stored column that an
immutable function of the row generates (migration 0019). Both match any substring of
three characters or more, case-insensitively. Which form of the condition PostgreSQL is
given depends on how common the text is (tasks/history/search_pg.py).
"""

import re
import uuid
from dataclasses import dataclass

from django.db import connections
from django.db.models import BooleanField, Q, TextField
from django.db.models.expressions import RawSQL

from tasks.history import search_pg

MIN_TEXT = 3  # a trigram index cannot find less
_HEX = re.compile(r"^[0-9a-fA-F-]{4,36}$")

# SQLite: the newest matches, at most PROBE + 1 of them.
SQLITE_PROBE = (
    "SELECT task_id FROM tasks_task_search_row WHERE id IN (SELECT rowid FROM "
    "tasks_task_search WHERE tasks_task_search MATCH %s ORDER BY rowid DESC LIMIT %s)"
)
# SQLite: a run whose document holds the text (through the side table's task_id index).
SQLITE_HOLDS = (
    "EXISTS (SELECT 1 FROM tasks_task_search_row WHERE "
    'tasks_task_search_row.task_id = "tasks_task"."id" AND instr(lower(body), %s) > 0)'
)
PROBE = 2_000
# SQLite: a trigram in fewer documents than this is rare (its doclist is read whole).
RARE = 5_000
RARE_LOOKS = 8  # trigrams of the text looked at, spread over it
# SQLite: how many runs hold an FTS5 query (a trigram, a phrase), counted up to a limit.
SQLITE_MATCHES = (
    "SELECT count(*) FROM (SELECT rowid FROM tasks_task_search "
    "WHERE tasks_task_search MATCH %s LIMIT %s)"
)
# SQLite: the oldest of a trigram's newest matches, up to a limit: how far back they
# reach says how sparse the trigram is among the newest runs.
SQLITE_NEWEST_MATCHES = (
    "SELECT min(rowid) FROM (SELECT rowid FROM tasks_task_search "
    "WHERE tasks_task_search MATCH %s ORDER BY rowid DESC LIMIT %s)"
)
# SQLite: the newest runs that hold every rare trigram, tested for the whole text.
SQLITE_RARE_PROBE = (
    "SELECT task_id FROM tasks_task_search_row WHERE id IN (SELECT rowid FROM "
    "tasks_task_search WHERE tasks_task_search MATCH %s) AND instr(lower(body), %s) > 0 "
    "ORDER BY id DESC LIMIT %s"
)


def search_body():
    """PostgreSQL: the run's search document, the stored column its trigram index holds
    (migration 0019; Django's model does not know it, the database writes it)."""
    return RawSQL('"tasks_task"."search_body"', (), output_field=TextField())


def containing(queryset, text):
    """`queryset` narrowed to the runs whose search document contains `text` (three
    characters or more)."""
    queryset, condition = _contains(queryset, text)
    return queryset.filter(condition)


def _contains(queryset, text, *, alone=True):
    """`alone`: the condition is not OR-ed with another, so every run it finds is one of
    the index's matches of `text` (which may then drive the count, search_count.py)."""
    if connections[queryset.db].vendor == "postgresql":
        queryset = queryset.alias(search_body=search_body())
        return queryset, search_pg.contains(queryset.db, "search_body", text)
    condition, walk = _sqlite_condition(queryset.db, text)
    if walk is not None and alone:
        queryset = queryset.all()  # a copy: the caller's own queryset is left as it was
        query = queryset.query
        setattr(query, COMMON, (*getattr(query, COMMON, ()), walk))
    return queryset, condition


# The attribute of a Query naming the common texts its runs must hold, each as the Walk
# through the index that finds them (Query.clone copies its attributes, so filtering,
# ordering and slicing keep them).
COMMON = "common_search_texts"


@dataclass(frozen=True)
class Walk:
    """How to walk the index's matches of a common text, newest first: the runs that
    match the FTS5 query `matches`, each tested for `text` (lower case) when `text` is
    set. The phrase of a text reads the doclists of all its trigrams for every match,
    and "bat" or "use" are in every run: a single trigram, the sparsest among the newest
    runs, walks 1,001 matches of `batch=42` in 2 ms where its phrase takes 27 ms."""

    matches: str
    text: str | None = None


def _sqlite_condition(using, text):
    """FTS5 finds a rare text at once but walks every match of a common one (a third of
    the history holds "region=eu"), which costs more than reading the runs in the page's
    order and testing each until the page is full. So the index is asked for the newest
    PROBE + 1 matches first (through the text's rare trigrams when it has some): when
    there are no more, those are the runs; else the text is common enough that a page
    of them is found by testing the runs in order. Returns the condition and, for a
    common text, the Walk its count takes (else None)."""
    with connections[using].cursor() as cursor:
        counted = _trigram_counts(cursor, text)
        rare = [trigram for trigram, count in counted if count < RARE]
        if rare:
            terms = " AND ".join(_phrase(trigram) for trigram in rare)
            cursor.execute(SQLITE_RARE_PROBE, [terms, text.lower(), PROBE + 1])
        else:
            cursor.execute(SQLITE_PROBE, [_phrase(text), PROBE + 1])
        found = [row[0] for row in cursor.fetchall()]
        if len(found) <= PROBE:
            return Q(pk__in=[uuid.UUID(value) for value in found]), None
        walk = _walk(cursor, text, counted)
    # Constant SQL; the text is a parameter.
    holds = RawSQL(SQLITE_HOLDS, [text.lower()], output_field=BooleanField())  # noqa: S611
    return Q(holds), walk


def _walk(cursor, text, counted):
    """The Walk of a common `text`: through its sparsest trigram, the rarest of those
    fewer than RARE runs hold, else the one whose newest RARE matches reach furthest
    back (counted only now: a rare text, most searches, needs no such count); through
    its phrase when no trigram was counted (a text that is not ASCII)."""
    if not counted:
        return Walk(_phrase(text))
    rare = sorted((count, trigram) for trigram, count in counted if count < RARE)
    if rare:
        return Walk(_phrase(rare[0][1]), text.lower())
    reach = []
    for trigram, _ in counted:
        cursor.execute(SQLITE_NEWEST_MATCHES, [_phrase(trigram), RARE])
        reach.append((cursor.fetchone()[0] or 0, trigram))
    return Walk(_phrase(min(reach)[1]), text.lower())


def _phrase(text):
    return '"' + text.replace('"', '""') + '"'


def _rare_trigrams(cursor, text):
    """The trigrams of `text` that fewer than RARE runs hold, each counted up to RARE
    from the index. FTS5 reads every trigram of a phrase in whole, and one such as "bat"
    of `--batch=421` is in every run: 30 ms at a million runs for 1,000 matches. The runs
    that hold the rare ones are few, and each is then tested for the whole text. Only an
    ASCII text: SQLite's lower() folds ASCII alone, the index folds all of Unicode."""
    return [trigram for trigram, count in _trigram_counts(cursor, text) if count < RARE]


def _trigram_counts(cursor, text):
    """(trigram, the runs that hold it counted up to RARE) for each trigram of `text`
    looked at."""
    counted = []
    for trigram in looked_at(text):
        cursor.execute(SQLITE_MATCHES, [_phrase(trigram), RARE])
        counted.append((trigram, cursor.fetchone()[0]))
    return counted


def looked_at(text):
    """The trigrams of `text` whose runs are counted: side by side over the text, at
    most about RARE_LOOKS of them, none for a text that is not ASCII."""
    if not text.isascii():
        return []
    lowered = text.lower()
    starts = sorted({*range(0, len(lowered) - 2, 3), len(lowered) - 3})
    step = max(1, -(-len(starts) // RARE_LOOKS))
    return [lowered[start : start + 3] for start in starts[::step]]


def id_prefix(text):
    """A Q for the runs whose id starts with `text` (hex digits, hyphens anywhere), or
    None when `text` cannot start an id: a range of the primary key, so its index."""
    if not _HEX.match(text):
        return None
    digits = text.replace("-", "").lower()
    if not digits or len(digits) > 32:
        return None
    low = uuid.UUID(digits.ljust(32, "0"))
    high = uuid.UUID(digits.ljust(32, "f"))
    return Q(pk__gte=low, pk__lte=high)


def matching(queryset, text):
    """The runs of `queryset` that `q=text` finds; None when `text` is too short to
    search for (and is no id prefix)."""
    by_id = id_prefix(text)
    if len(text) < MIN_TEXT:
        return None if by_id is None else queryset.filter(by_id)
    queryset, condition = _contains(queryset, text, alone=by_id is None)
    return queryset.filter(condition if by_id is None else condition | by_id)
