"""A real OpenID provider on loopback for the sign-in tests: npm's `oidc-provider` run with
Node (server.mjs beside this file; package.json and its lock pin it).

Its packages are installed once with `npm ci` into a cache folder named after the lock
file (EXECUTOR_TEST_NPM_CACHE, or ~/.cache/executor-tests), so only a change of the lock
installs again. Without Node or the npm registry the tests skip, unless
EXECUTOR_TEST_REQUIRE names `oidc` (CI), where they fail.
"""

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from tasks.tests.helpers import end_process, free_port
from tasks.tests.requirements import require_or_skip

HERE = Path(__file__).parent
FILES = ("package.json", "package-lock.json")
# oidc-provider 9 is tried on Node 20 (the machine image's) and nothing older.
MINIMUM_NODE = (20, 0)
CLIENT_ID = "executor"
CLIENT_SECRET = "executor-test-secret"


def node_version():
    node = shutil.which("node")
    if node is None:
        return None
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    try:
        return tuple(int(part) for part in out.stdout.strip().lstrip("v").split(".")[:2])
    except ValueError:
        return None


def installed_folder():
    """The folder where server.mjs runs beside its node_modules, installed if need be;
    skips (or fails, when required) when Node or npm cannot do it."""
    version = node_version()
    require_or_skip(
        "oidc",
        version is not None and version >= MINIMUM_NODE,
        "Node 20 or later is needed for the OpenID provider tests (Debian: apt-get "
        f"install nodejs npm); found {version or 'none'}",
    )
    require_or_skip("oidc", shutil.which("npm") is not None, "npm is not installed")
    digest = hashlib.sha256(b"".join((HERE / name).read_bytes() for name in FILES)).hexdigest()
    root = Path(os.environ.get("EXECUTOR_TEST_NPM_CACHE", Path.home() / ".cache/executor-tests"))
    folder = root / f"oidc-provider-{digest[:16]}"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one installer among parallel test processes
        if not (folder / "node_modules" / "oidc-provider").is_dir():
            for name in FILES:
                shutil.copy(HERE / name, folder / name)
            done = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            require_or_skip(
                "oidc",
                done.returncode == 0,
                f"npm ci of the OpenID provider failed: {done.stderr.strip()[-500:]}",
            )
        shutil.copy(HERE / "server.mjs", folder / "server.mjs")
    return folder


def signing_key():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private))
    # PyJWT marks a private key "key_ops": ["sign"]; the provider verifies with it too
    # (the id_token_hint of a sign-out), which that would refuse, and a private key
    # cannot be imported for "verify": without key_ops it serves both.
    key.pop("key_ops", None)
    return {**key, "kid": "test-key", "alg": "RS256", "use": "sig"}


@dataclass
class OpenIDProvider:
    issuer: str
    accounts_file: Path
    process: subprocess.Popen

    def set_accounts(self, accounts):
        """{"alice": {"email": ..., "groups": [...]}}; read again at each sign-in."""
        self.accounts_file.write_text(json.dumps(accounts))

    def twist_next_token(self, **claims):
        """The next ID token the provider hands out carries these claims instead."""
        response = requests.post(f"{self.issuer}/_test/twist", json={"claims": claims}, timeout=10)
        assert response.status_code == 204

    def clear_twist(self):
        requests.post(f"{self.issuer}/_test/twist", data=b"null", timeout=10).raise_for_status()


def start(workdir: Path, redirect_uri: str, post_logout_redirect_uri: str):
    """Start the provider for one client whose redirect URL is `redirect_uri`, and
    which may send a signed-out browser back to `post_logout_redirect_uri`."""
    folder = installed_folder()
    port = free_port()
    accounts = workdir / "accounts.json"
    accounts.write_text("{}")
    config = workdir / "provider.json"
    config.write_text(
        json.dumps(
            {
                "port": port,
                "accounts": str(accounts),
                "key": signing_key(),
                "client": {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uris": [redirect_uri],
                    "post_logout_redirect_uris": [post_logout_redirect_uri],
                    "grant_types": ["authorization_code"],
                    "response_types": ["code"],
                    "token_endpoint_auth_method": "client_secret_post",
                },
            }
        )
    )
    log = workdir / "provider.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            ["node", str(folder / "server.mjs"), str(config)],
            cwd=folder,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the OpenID provider exited: {log.read_text()}")
        try:
            requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    else:
        process.kill()
        raise AssertionError("the OpenID provider did not start within 60 s")
    return OpenIDProvider(issuer, accounts, process)


def stop(provider: OpenIDProvider):
    end_process(provider.process)
