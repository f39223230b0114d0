"""Batching output into chunks, the log cap, masking, and character boundaries."""

import uuid

import pytest

from tasks.executor.log_writer import MAX_CHUNK, LogWriter, utf8_boundary


def stored(writer):
    new, doomed = writer.take()
    return {chunk.offset: (chunk.stream, chunk.data) for chunk in new}, doomed


def test_consecutive_output_of_one_stream_grows_one_chunk():
    writer = LogWriter(uuid.uuid4(), 10 * 1024 * 1024)
    for number in range(100):
        writer.append("out", b"line %d\n" % number)
    writer.append("err", b"oops\n")
    writer.append("out", b"again\n")
    chunks, _ = stored(writer)
    assert [stream for stream, _ in chunks.values()] == ["out", "err", "out"]
    assert next(iter(chunks)) == 0
    assert chunks[0][1].startswith(b"line 0\n")
    assert chunks[0][1].endswith(b"line 99\n")


def test_chunks_never_exceed_the_maximum_size():
    writer = LogWriter(uuid.uuid4(), 100 * 1024 * 1024)
    writer.append("out", b"x" * (3 * MAX_CHUNK + 5))
    chunks, _ = stored(writer)
    assert [len(data) for _, data in chunks.values()] == [MAX_CHUNK] * 3 + [5]


def test_offsets_count_every_byte():
    writer = LogWriter(uuid.uuid4(), 1024 * 1024)
    writer.append("out", b"abc\n")
    first, _ = stored(writer)
    writer.append("err", b"de\n")
    second, _ = stored(writer)
    assert list(first) == [0]
    assert list(second) == [4]
    assert writer.received == 7


def test_the_cap_keeps_the_beginning_and_the_end_and_counts_what_it_dropped():
    writer = LogWriter(uuid.uuid4(), 4000)  # head 1000 bytes, tail 3000
    lines = [b"line %05d\n" % n for n in range(2000)]  # 11 bytes each
    written = {}
    for line in lines:
        writer.append("out", line)
        new, doomed = writer.take()  # as if every line were its own flush
        written.update({chunk.offset: chunk.data for chunk in new})
        for offset in doomed:
            del written[offset]
    data = b"".join(lines)
    kept = sum(len(chunk) for chunk in written.values())
    assert kept <= 4000
    assert writer.dropped == len(data) - kept
    head_end = 990  # the head ends with the last whole line that fits in its 1000 bytes
    assert b"".join(written[o] for o in sorted(written) if o < head_end) == data[:head_end]
    tail = b"".join(written[offset] for offset in sorted(written) if offset >= head_end)
    assert data.endswith(tail)
    assert len(tail) > 3000 * 3 // 4


def test_output_dropped_before_it_was_written_costs_no_rows():
    writer = LogWriter(uuid.uuid4(), 4000)
    writer.append("out", b"x" * 50_000)
    new, doomed = writer.take()
    assert doomed == []
    assert sum(len(chunk.data) for chunk in new) <= 4000
    assert writer.dropped == 50_000 - sum(len(chunk.data) for chunk in new)


def test_secrets_are_masked_before_anything_is_stored():
    writer = LogWriter(uuid.uuid4(), 1024 * 1024, secrets=["hunter2", ""])
    returned = writer.append("out", b"password is hunter2, again hunter2\n")
    chunks, _ = stored(writer)
    assert chunks[0][1] == b"password is ****, again ****\n"
    assert returned == chunks[0][1]


def test_put_back_keeps_a_failed_flush_for_the_next_one():
    writer = LogWriter(uuid.uuid4(), 1024 * 1024)
    writer.append("out", b"one\n")
    new, doomed = writer.take()
    writer.append("out", b"two\n")
    writer.put_back(new, doomed)
    chunks, _ = stored(writer)
    assert chunks == {0: ("out", b"one\n"), 4: ("out", b"two\n")}


@pytest.mark.parametrize(
    ("data", "limit", "expected"),
    [
        ("aé".encode(), 2, 1),  # é is two bytes: do not cut between them
        ("a€".encode(), 3, 1),
        ("a😀".encode(), 4, 1),
        ("a😀".encode(), 5, 5),
        ("aé".encode()[:2], 2, 1),  # an incomplete character at the end waits
        ("aé".encode(), 3, 3),
        (b"plain", 3, 3),
    ],
)
def test_cuts_never_split_a_character(data, limit, expected):
    assert utf8_boundary(data, limit) == expected
