"""StartTLS against a slapd that refuses anything on a connection without TLS (slapd's
`security tls=1`), with a certificate from a CA made for the test."""

import datetime
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.contrib.auth.models import User

from tasks.tests.ldap.conftest import require_slapd
from tasks.tests.ldap.directory import Directory
from tasks.web.ldap_backend import DIRECTORY_FAILED, UNVERIFIED

pytestmark = pytest.mark.django_db


def _certificate(subject, issuer, public_key, signing_key, *, ca):
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(signing_key, hashes.SHA256())


def write_certificates(folder):
    """A CA, and a certificate for 127.0.0.1 that it signed: (ca.pem, server.pem, key)."""
    folder.mkdir()
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Test CA", "Test CA", ca_key.public_key(), ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _certificate("127.0.0.1", "Test CA", server_key.public_key(), ca_key, ca=False)
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@pytest.fixture(scope="module")
def tls_directory(tmp_path_factory):
    # Read only by its tests: one slapd with TLS for them all.
    require_slapd()
    folder = tmp_path_factory.mktemp("tls-slapd")
    ca, certificate, key = write_certificates(folder / "tls")
    started = Directory(folder / "slapd", tls=(certificate, key)).start()
    started.ca_file = str(ca)
    yield started
    started.stop()


def sign_in(client):
    return client.post("/accounts/login/", {"username": "alice", "password": "alice-pw"})


def page_says(response, message):
    return message in response.content.decode().replace("&#x27;", "'")


def test_start_tls_with_the_servers_ca_signs_in(client, tls_directory, use_directory):
    use_directory(
        tls_directory, EXECUTOR_LDAP_START_TLS="1", EXECUTOR_LDAP_CA_FILE=tls_directory.ca_file
    )
    assert sign_in(client).status_code == 302
    assert User.objects.get(username="alice").email == "alice@example.org"


def test_without_start_tls_the_directory_refuses_and_the_form_says_so(
    client, tls_directory, use_directory
):
    use_directory(tls_directory, EXECUTOR_LDAP_START_TLS="0")
    response = sign_in(client)
    assert response.status_code == 200
    assert page_says(response, DIRECTORY_FAILED)


def test_a_certificate_that_does_not_verify_refuses_sign_in(
    client, tls_directory, use_directory, caplog
):
    # The system's CAs do not know the test's CA: TLS fails, nothing is sent in clear.
    use_directory(tls_directory, EXECUTOR_LDAP_START_TLS="1", EXECUTOR_LDAP_CA_FILE="")
    response = sign_in(client)
    assert response.status_code == 200
    assert page_says(response, UNVERIFIED)
    assert not User.objects.filter(username="alice").exists()
