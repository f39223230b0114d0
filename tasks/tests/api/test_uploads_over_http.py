"""Uploads over a real HTTP connection: a huge file is refused while it streams, and names
that are paths or carry control characters are refused, not quietly renamed."""

import socket
import time
from urllib.parse import urlsplit

import pytest
from rest_framework.authtoken.models import Token

from tasks.models import Artifact, Task

pytestmark = pytest.mark.django_db(transaction=True)

BOUNDARY = "executor-test-boundary"


def head(url, token, length):
    host = urlsplit(url).netloc
    return (
        f"POST /api/execute HTTP/1.1\r\nHost: {host}\r\nAuthorization: Token {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode()


def file_part(name, filename):
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()


def fields():
    disposition = 'Content-Disposition: form-data; name="script_type"'
    return f"--{BOUNDARY}\r\n{disposition}\r\n\r\nupload\r\n".encode()


def read_response(sock):
    sock.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith(b"}"):
        piece = sock.recv(65536)
        if not piece:
            break
        data += piece
    return data.decode("utf-8", "replace")


@pytest.fixture
def token(user):
    return Token.objects.create(user=user).key


def test_a_gigabyte_against_a_megabyte_limit_is_refused_before_it_is_sent(
    live_server, token, settings, tmp_path, inline
):
    settings.EXECUTOR_MAX_UPLOAD_BYTES = 1024 * 1024
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    announced = 1024**3
    started = time.monotonic()
    address = (urlsplit(live_server.url).hostname, urlsplit(live_server.url).port)
    with socket.create_connection(address) as sock:
        sock.sendall(
            head(live_server.url, token, announced) + fields() + file_part("table", "big.csv")
        )
        sent = 0
        block = b"x" * 65536
        # Send until the server answers (or stops reading): far less than the gigabyte.
        sock.settimeout(0.05)
        answer = b""
        while sent < 64 * 1024 * 1024:
            try:
                sock.sendall(block)
                sent += len(block)
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                break
            try:
                answer = sock.recv(65536, socket.MSG_PEEK)
            except (BlockingIOError, TimeoutError):
                continue
            if answer:
                break
        response = read_response(sock)
    took = time.monotonic() - started
    print(f"\nrefused with 413 after {sent:,} bytes of an announced 1 GiB ({took:.2f} s)")
    assert response.startswith("HTTP/1.1 413"), response[:200]
    assert "larger than 1.0 MiB" in response
    assert sent < 16 * 1024 * 1024, f"the server read {sent} bytes before refusing"
    assert time.monotonic() - started < 30
    assert list(tmp_path.iterdir()) == []
    assert not Task.objects.exists()
    assert not Artifact.objects.exists()


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("../../etc/passwd.csv", "contains a path separator"),
        ("..\\\\evil.csv", "contains a path separator"),
        ("bad\x01name.csv", "NUL or control characters"),
        ("bad\x00name.csv", "NUL or control characters"),
        ("bad\x7fname.csv", "NUL or control characters"),
    ],
)
def test_names_that_are_paths_or_carry_control_characters_are_refused(
    live_server, token, inline, filename, message
):
    body = fields() + file_part("table", filename) + b"a,b\r\n" + f"--{BOUNDARY}--\r\n".encode()
    address = (urlsplit(live_server.url).hostname, urlsplit(live_server.url).port)
    with socket.create_connection(address) as sock:
        sock.sendall(head(live_server.url, token, len(body)) + body)
        response = read_response(sock)
    assert response.startswith("HTTP/1.1 400"), response[:300]
    assert message in response
    assert not Task.objects.exists()
