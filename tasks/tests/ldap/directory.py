"""A real OpenLDAP server (Debian's slapd) on loopback, for the sign-in tests.

Each `Directory` is a slapd of its own: a slapd.conf in a temporary folder, the test
directory loaded with slapadd before it starts, slapd run in the foreground (-d 0) on a
free port of 127.0.0.1, killed and waited for in `stop()`. Changes during a test (a user
removed from a group) go through python-ldap as the directory's root.

The directory, under dc=example,dc=org:

- people: alice (in club), bob (in leads), carol (in no group), erin (in club and
  superusers);
  every password is the user's name followed by "-pw".
- groups: club; leads; admins, whose one member is the group leads (so bob is in admins
  only through nesting); superusers.
- the service account cn=reader, which the backend binds as to search: anonymous
  clients may read nothing.
"""

import shutil
import socket
import subprocess
import time
from pathlib import Path

import ldap

from tasks.tests.helpers import end_process, free_port

SUFFIX = "dc=example,dc=org"
ROOT_DN = f"cn=root,{SUFFIX}"
ROOT_PASSWORD = "root-pw"
READER_DN = f"cn=reader,{SUFFIX}"
READER_PASSWORD = "reader-pw"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")
MEMBERS = {
    "club": ["uid=alice", "uid=erin"],
    "leads": ["uid=bob"],
    "admins": ["cn=leads"],
    "superusers": ["uid=erin"],
}


def person_dn(uid):
    return f"uid={uid},{PEOPLE}"


def group_dn(name):
    return f"cn={name},{GROUPS}"


def slapd_path():
    """slapd, or None when it is not installed (Debian: apt-get install slapd). Looked
    for in /usr/sbin too, which an ordinary user's PATH may leave out."""
    if found := shutil.which("slapd"):
        return found
    return "/usr/sbin/slapd" if Path("/usr/sbin/slapd").exists() else None


def _member_dn(member):
    return person_dn(member[4:]) if member.startswith("uid=") else group_dn(member[3:])


def directory_ldif():
    entries = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example",
        f"dn: {READER_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: reader\nuserPassword: {READER_PASSWORD}",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups",
    ]
    for uid, given, surname in (
        ("alice", "Alice", "Liddell"),
        ("bob", "Bob", "Builder"),
        ("carol", "Carol", "Danvers"),
        ("erin", "Erin", "Brockovich"),
    ):
        entries.append(
            f"dn: {person_dn(uid)}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {given}\n"
            f"givenName: {given}\nsn: {surname}\nmail: {uid}@example.org\n"
            f"userPassword: {uid}-pw"
        )
    for name, members in MEMBERS.items():
        lines = [f"dn: {group_dn(name)}", "objectClass: groupOfNames", f"cn: {name}"]
        lines += [f"member: {_member_dn(member)}" for member in members]
        entries.append("\n".join(lines))
    return "\n\n".join(entries) + "\n"


def slapd_conf(folder, tls=None):
    """slapd.conf for a server with its data in `folder`; `tls` = (cert, key) files
    serves StartTLS and refuses binds and searches on a connection without it."""
    lines = [f"include /etc/ldap/schema/{name}.schema" for name in SCHEMAS]
    lines += [
        f"pidfile {folder}/slapd.pid",
        "modulepath /usr/lib/ldap",
        "moduleload back_mdb",
    ]
    if tls:
        lines += [
            f"TLSCertificateFile {tls[0]}",
            f"TLSCertificateKeyFile {tls[1]}",
            "security tls=1",
        ]
    lines += [
        "database mdb",
        "maxsize 10485760",
        f'suffix "{SUFFIX}"',
        f'rootdn "{ROOT_DN}"',
        f"rootpw {ROOT_PASSWORD}",
        f"directory {folder}/data",
        # Passwords can be bound with, never read; only signed-in clients may search.
        "access to attrs=userPassword by anonymous auth by * none",
        "access to * by users read by * none",
    ]
    return "\n".join(lines) + "\n"


class Directory:
    def __init__(self, folder, tls=None):
        self.folder = Path(folder)
        self.tls = tls
        self.process = None
        self.url = None

    def start(self):
        (self.folder / "data").mkdir(parents=True)
        conf = self.folder / "slapd.conf"
        conf.write_text(slapd_conf(self.folder, self.tls))
        (self.folder / "directory.ldif").write_text(directory_ldif())
        subprocess.run(
            [
                str(Path(slapd_path()).with_name("slapadd")),
                "-f",
                str(conf),
                "-l",
                str(self.folder / "directory.ldif"),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        port = free_port()
        self.url = f"ldap://127.0.0.1:{port}"
        log = (self.folder / "slapd.log").open("wb")
        self.process = subprocess.Popen(
            [slapd_path(), "-f", str(conf), "-h", self.url + "/", "-d", "0"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self._wait_until_listening(port)
        return self

    def _wait_until_listening(self, port):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.folder / "slapd.log").read_text(errors="replace")
                raise RuntimeError(f"slapd exited with {self.process.returncode}:\n{log}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("slapd did not listen within 30 s")

    def stop(self):
        if self.process is not None:
            end_process(self.process)

    def _as_root(self):
        connection = ldap.initialize(self.url)
        if self.tls:
            connection.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_NEVER)
            connection.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
            connection.start_tls_s()
        connection.simple_bind_s(ROOT_DN, ROOT_PASSWORD)
        return connection

    def restore_members(self):
        """Put every group's members back as the directory was loaded (after a test that
        changed them), so that the next test finds the directory described above."""
        if not getattr(self, "changed", False):
            return
        connection = self._as_root()
        try:
            for group, members in MEMBERS.items():
                values = [_member_dn(member).encode() for member in members]
                connection.modify_s(group_dn(group), [(ldap.MOD_REPLACE, "member", values)])
        finally:
            connection.unbind_s()
        self.changed = False

    def remove_member(self, group, member_dn):
        self.changed = True
        connection = self._as_root()
        try:
            connection.modify_s(
                group_dn(group), [(ldap.MOD_DELETE, "member", [member_dn.encode()])]
            )
        finally:
            connection.unbind_s()

    def add_member(self, group, member_dn):
        self.changed = True
        connection = self._as_root()
        try:
            connection.modify_s(group_dn(group), [(ldap.MOD_ADD, "member", [member_dn.encode()])])
        finally:
            connection.unbind_s()
