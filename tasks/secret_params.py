"""Secret parameters: held encrypted on the task row only until its run starts.

A run's row must never hold a secret in clear, but the worker that starts it (a thread
here, or a Celery worker on another machine) needs the real command line. So `execute`
stores the parameters masked (`****`) and seals the real arguments and environment with
a key derived from SECRET_KEY; the supervisor opens the seal, wipes it from the row, and
hands the values to the log writer, which masks them wherever the script prints them.
"""

import base64
import json
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.crypto import salted_hmac

MASK = "****"
_SALT = "tasks.secret_params"


class SealBroken(Exception):
    """The seal cannot be opened: SECRET_KEY changed since the run was submitted."""


@dataclass(frozen=True)
class Opened:
    script_args: list
    env: dict
    values: tuple


def _fernet():
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    # One Fernet key per server key: a key rotated into SECRET_KEY_FALLBACKS still opens
    # the seals of runs submitted before the rotation.
    return MultiFernet([Fernet(base64.urlsafe_b64encode(_derive(key))) for key in keys])


def _derive(key):
    return salted_hmac(_SALT, "fernet", secret=key, algorithm="sha256").digest()


def seal(script_args, env, values):
    """The real arguments and environment of a run, encrypted and authenticated."""
    data = {"script_args": list(script_args), "env": dict(env), "values": list(values)}
    return _fernet().encrypt(json.dumps(data).encode()).decode("ascii")


def unseal(token):
    try:
        data = json.loads(_fernet().decrypt(token.encode("ascii")))
    except (InvalidToken, ValueError, UnicodeError):
        raise SealBroken(
            "its secret parameters cannot be decrypted (the server's SECRET_KEY changed "
            "since it was submitted); start it again"
        ) from None
    return Opened(data["script_args"], data["env"], tuple(data["values"]))


def seal_values(values):
    """Secret parameter values a schedule keeps for its firings (name -> value), sealed
    with the same key as a pending run's."""
    return _fernet().encrypt(json.dumps(dict(values)).encode()).decode("ascii")


def unseal_values(token):
    """The values `seal_values` sealed; SealBroken when SECRET_KEY changed since."""
    if not token:
        return {}
    try:
        return dict(json.loads(_fernet().decrypt(token.encode("ascii"))))
    except (InvalidToken, ValueError, UnicodeError, TypeError):
        raise SealBroken(
            "its stored secret parameters cannot be decrypted (the server's SECRET_KEY "
            "changed since they were saved); type them again in the schedule"
        ) from None
