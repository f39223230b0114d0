"""tasks.executor.log_writer: chunk sizes that readers depend on."""

from tasks.executor.log_writer import MAX_CHUNK, LogWriter


def test_no_chunk_is_larger_than_max_chunk_at_the_head_of_a_log():
    # Readers find the chunk that holds an offset by looking MAX_CHUNK bytes back
    # (tasks.logs.read); a larger chunk would be missed and shown as a gap.
    writer = LogWriter(task_id=None, max_bytes=64 * 1024 * 1024)
    writer.append("out", b"x" * 99 + b"\n" * 1 + b"y" * (5 * MAX_CHUNK))
    chunks, _ = writer.take()
    assert max(len(chunk.data) for chunk in chunks) <= MAX_CHUNK
    assert b"".join(chunk.data for chunk in chunks) == b"x" * 99 + b"\n" + b"y" * (5 * MAX_CHUNK)
    assert [chunk.offset for chunk in chunks] == sorted(chunk.offset for chunk in chunks)
