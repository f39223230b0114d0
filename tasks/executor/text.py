"""Script output as text for the database's text columns."""


def decode(data):
    """Lenient UTF-8, with NUL shown as U+FFFD.

    PostgreSQL text columns cannot hold NUL: one NUL in a tail, a progress message or an
    exception line would make every write of the run fail. The log itself (bytes) keeps
    every byte as the script wrote it."""
    return data.decode("utf-8", "replace").replace("\x00", "\ufffd")
