"""Search a run's whole log on the server, for logs longer than the page holds.

One pass over the chunks in order, one chunk (64 KiB) and a few bytes of the one before
in memory: it counts the matches and picks the one after (or before) the reader's
position, with its number ("3 of 12"). The pass stops at a time budget and then says
the count is a lower bound. Matching ignores ASCII case (bytes.lower); letters outside
ASCII match as written. Hand-written: a database's full-text search does not see into
binary chunks, and a LIKE over them is neither portable nor bounded.
"""

import time
from dataclasses import dataclass

from tasks.history.logs import BadPosition
from tasks.models import LogChunk

MAX_QUERY = 200  # characters
BUDGET_SECONDS = 10.0


@dataclass
class Found:
    count: int  # matches in the part searched
    complete: bool  # the whole log was searched
    index: int | None = None  # 1-based number of the match below
    offset: int | None = None  # where the match starts
    line: int | None = None  # the line it is on


def clean_query(raw):
    query = (raw or "").strip("\n")
    if not query.strip():
        raise BadPosition("q: type something to search for.")
    if len(query) > MAX_QUERY:
        raise BadPosition(f"q: at most {MAX_QUERY} characters, got {len(query)}.")
    if "\x00" in query:
        raise BadPosition("q: may not contain a NUL character.")
    return query


def search(task_id, query, position=0, backwards=False, budget=BUDGET_SECONDS):
    """The match after `position` (the first one at or after it), or with `backwards`
    the last one before it, wrapping around the ends as an editor does."""
    needle = query.encode("utf-8").lower()
    overlap = len(needle) - 1
    deadline = time.monotonic() + budget
    rows = (
        LogChunk.objects.filter(task_id=task_id)
        .order_by("offset")
        .values_list("offset", "data", "line")
        .iterator(chunk_size=16)
    )
    count, chosen, first, last = 0, None, None, None
    carry, carry_end = b"", None
    complete = True
    for start, data, line in rows:
        data = bytes(data).lower()
        if carry and carry_end == start:
            hay, base, base_line = carry + data, start - len(carry), line - carry.count(b"\n")
        else:
            hay, base, base_line = data, start, line
        here = hay.count(needle)
        if here:
            if first is None:
                first = (count + 1, _locate(hay, base, base_line, hay.find(needle)))
            last = (count + here, (hay, base, base_line, hay.rfind(needle)))
            chosen = _pick(chosen, hay, needle, base, base_line, count, position, backwards)
            count += here
        carry = data[-overlap:] if overlap else b""
        carry_end = start + len(data)
        if time.monotonic() > deadline:
            complete = False
            break
    if chosen is None:
        if backwards and last is not None:
            chosen = (last[0], _locate(*last[1]))
        elif not backwards and first is not None:
            chosen = first
    if chosen is None:
        return Found(count=count, complete=complete)
    index, (offset, number) = chosen
    return Found(count=count, complete=complete, index=index, offset=offset, line=number)


def _pick(chosen, hay, needle, base, base_line, count, position, backwards):
    """Update the choice with this piece of the log: the first match at or after
    `position`, or the last one before it."""
    if backwards:
        end = min(len(hay), position - base + len(needle) - 1)
        if end < len(needle):
            return chosen
        at = hay.rfind(needle, 0, end)
        if at < 0:
            return chosen
        return (count + hay.count(needle, 0, at) + 1, _locate(hay, base, base_line, at))
    if chosen is not None:
        return chosen
    at = hay.find(needle, max(0, position - base))
    if at < 0:
        return None
    return (count + hay.count(needle, 0, at) + 1, _locate(hay, base, base_line, at))


def _locate(hay, base, base_line, at):
    """(offset of the match, number of its line)."""
    return base + at, base_line + hay.count(b"\n", 0, at) + 1
