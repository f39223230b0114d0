"""PostgreSQL: the form of a search's condition that lets the planner read fewest runs.

pg_trgm's GIN index answers `LIKE '%text%'` with a bitmap of every run that holds all
of the text's trigrams, and reads the whole posting list of each: "bat" and "use" are
in every run, so the index scan for `--batch=421` (about 1,000 runs) takes 30-60 ms on
the shared machine where `LIKE '%421%'` takes 1.5 ms, and the scan for `user13` (50,000
runs) builds a bitmap of all of them, for a capped count as for a cursor's page (a
BitmapAnd with the creation-time index: 180 ms where walking that index takes 2 ms).

Which trigrams and texts are common is read from the column's statistics: the hundred
or so documents ANALYZE keeps in `pg_stats` (the histogram's bounds, with the most
common values and their shares), read once every few minutes. Then:

- a text the sample holds often (COMMON_SHARE: 3 %, 30,000 runs of a million) is tested
  run by run (`strpos`), with no index to misuse: a page walks the ordering's index and
  is full after some hundreds of runs, the capped count stops after some thousands;
- a rarer text is asked of the index by the pieces of it that are made of uncommon
  trigrams (`LIKE '%421%'`), and the runs found are tested for the whole text;
- without statistics (a new or small table), or when nothing is gained, it is the plain
  `LIKE` on the whole text.

Every form finds exactly the runs whose document contains the text (lower case, as the
stored column is); only the plan differs.
"""

import re
import time

from django.db import connections
from django.db.models import Q, Value
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan

COMMON_SHARE = 0.03  # of the runs: such a text is tested run by run
COMMON_TRIGRAM = 0.2  # of the runs: such a trigram is left out of the index's question
MIN_SAMPLE = 20  # documents in the statistics below which they are not used
SAMPLE_SECONDS = 300  # how long the statistics read are used before reading them again

# The sample of the search documents ANALYZE keeps (anyarray, read as text[]).
STATISTICS = (
    "SELECT histogram_bounds::text::text[], most_common_vals::text::text[], "
    "most_common_freqs FROM pg_stats WHERE schemaname = current_schema() "
    "AND tablename = 'tasks_task' AND attname = 'search_body'"
)

_samples = {}  # database alias -> (monotonic time read, Sample or None)


class Sample:
    """The documents of the statistics: the histogram's bounds, each standing for an
    equal share of the runs outside the most common values, which have their own."""

    def __init__(self, bounds, common, shares):
        self.common = list(zip(common or [], shares or [], strict=False))
        self.bounds = list(bounds or [])
        self.rest = max(0.0, 1.0 - sum(share for _, share in self.common))

    def __len__(self):
        return len(self.bounds) + len(self.common)

    def starting(self, letters):
        """The estimated share of the runs whose document has a word (of letters and
        digits, as pg_trgm's) that starts with `letters`."""
        word = re.compile(f"(?<![a-z0-9]){re.escape(letters)}")
        return self._share(lambda body: word.search(body) is not None)

    def share(self, text):
        """The estimated share of the runs whose document holds `text`."""
        return self._share(lambda body: text in body)

    def _share(self, holds):
        shares = sum(share for body, share in self.common if holds(body))
        if self.bounds:
            held = sum(1 for body in self.bounds if holds(body))
            shares += self.rest * held / len(self.bounds)
        return shares


def sample(using):
    """The Sample of the database `using`, or None without statistics."""
    now = time.monotonic()
    read_at, found = _samples.get(using, (None, None))
    if read_at is None or now - read_at > SAMPLE_SECONDS:
        with connections[using].cursor() as cursor:
            cursor.execute(STATISTICS)
            row = cursor.fetchone()
        found = Sample(*row) if row else None
        if found is not None and len(found) < MIN_SAMPLE:
            found = None
        _samples[using] = (now, found)
    return found


def forget():
    """Read the statistics again at the next search (after an ANALYZE, in tests)."""
    _samples.clear()


def contains(using, body, text):
    """The Q for the runs whose search document (`body`, an alias of the queryset)
    holds `text`."""
    lowered = text.lower()
    plain = Q(**{f"{body}__contains": lowered})
    found = sample(using)
    if found is None:
        return plain
    holds = Q(GreaterThan(StrIndex(body, Value(lowered)), 0))
    if found.share(lowered) >= COMMON_SHARE:
        return holds
    parts = pieces(lowered, found)
    if not parts or parts == [lowered]:
        return plain
    asked = Q()
    for part in parts:
        asked &= Q(**{f"{body}__contains": part})
    return asked & holds


def pieces(lowered, found):
    """The longest pieces of `lowered` made of trigrams the index should be asked for:
    letters and digits only (pg_trgm makes its trigrams from words) and held by fewer
    than COMMON_TRIGRAM of the runs. Only an ASCII text: the database's case folding
    and idea of a letter are its locale's."""
    if not lowered.isascii():
        return []
    parts, start = [], None
    for at in range(len(lowered) - 2):
        trigram = lowered[at : at + 3]
        wanted = trigram.isalnum() and found.share(trigram) < COMMON_TRIGRAM
        if wanted and start is None:
            start = at
        if not wanted and start is not None:
            parts.append(lowered[start : at + 2])
            start = None
    if start is not None:
        parts.append(lowered[start:])
    return parts + word_starts(lowered, found, parts)


def word_starts(lowered, found, parts):
    """The pieces that name where a word of `lowered` starts, when the word's own
    trigrams gave no piece: a character that is no letter or digit and the word's first
    two (`=42` of `batch=42`). pg_trgm asks the index for two trigrams then, the word
    starting with "4" and with "42", and a word starting with "42" is rare where
    "bat", "atc" and "tch" are in every run: 5 ms for 13,000 runs where the whole text's
    index scan takes 35 ms. Taken when the word's start is held by fewer than
    COMMON_TRIGRAM of the runs and its first letter alone by fewer than half."""
    starts = []
    for at in range(1, len(lowered) - 1):
        word = lowered[at : at + 2]
        if lowered[at - 1].isalnum() or not word.isalnum():
            continue
        end = at
        while end < len(lowered) and lowered[end].isalnum():
            end += 1
        if any(part in lowered[at:end] for part in parts):
            continue  # the word already has a piece of its own
        if found.starting(word) < COMMON_TRIGRAM and found.starting(word[0]) < 0.5:
            starts.append(lowered[at - 1 : at + 2])
    return starts
