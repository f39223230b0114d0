"""tasks.services.tokens: issuing and revoking, each with its audit event, and clear
refusals that write nothing."""

import pytest

from tasks.models import AuditAction, AuditEvent, ScopedToken
from tasks.services import InvalidRequest, tokens

pytestmark = pytest.mark.django_db


def test_issuing_records_who_issued_which_token_for_whom(user, staff):
    token, key = tokens.issue(staff, user, " ci ", read_only=True, scripts=["lines", "echo"])
    assert (token.name, token.user, token.scripts) == ("ci", user, ["echo", "lines"])
    assert ScopedToken.find(key) == token
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.actor_name) == (
        AuditAction.ISSUE_TOKEN,
        staff,
        "carol",
    )
    assert event.details == {
        "user": "alice",
        "token": "ci",
        "prefix": token.prefix,
        "read_only": True,
        "scripts": ["echo", "lines"],
        "expires_at": None,
    }
    assert key not in str(event.details)


@pytest.mark.parametrize(
    ("name", "scripts", "message"),
    [
        ("", [], "name: a token needs a name."),
        ("   ", [], "name: a token needs a name."),
        ("ci", [], "alice already has a token named 'ci'."),
        ("new", ["echo", "no-such"], "scripts: no such script in the catalog: no-such."),
    ],
)
def test_a_bad_issue_is_refused_clearly_and_writes_nothing(user, name, scripts, message):
    tokens.issue(user, user, "ci")
    with pytest.raises(InvalidRequest) as refused:
        tokens.issue(user, user, name, scripts=scripts)
    assert refused.value.message == message
    assert ScopedToken.objects.count() == 1
    assert AuditEvent.objects.count() == 1


def test_revoking_is_recorded_once(user, staff):
    token, _ = tokens.issue(user, user, "ci")
    assert tokens.revoke(staff, token) is True
    assert tokens.revoke(staff, token) is False
    events = AuditEvent.objects.filter(action=AuditAction.REVOKE_TOKEN)
    assert [(e.actor_name, e.details["token"], e.details["user"]) for e in events] == [
        ("carol", "ci", "alice")
    ]


def test_revoking_by_name_names_the_tokens_there_are(user):
    tokens.issue(user, user, "ci")
    tokens.issue(user, user, "laptop")
    with pytest.raises(
        InvalidRequest, match=r"alice has no token named 'cj' \(their tokens: 'ci', 'laptop'\)"
    ):
        tokens.revoke_named(None, "alice", "cj")
    with pytest.raises(InvalidRequest, match="No such user: nobody"):
        tokens.revoke_named(None, "nobody", "ci")
    assert not ScopedToken.objects.filter(revoked_at__isnull=False).exists()
    token, done = tokens.revoke_named(None, "alice", "ci")
    assert done
    assert token.name == "ci"
    event = AuditEvent.objects.filter(action=AuditAction.REVOKE_TOKEN).get()
    assert (event.actor, event.actor_name) == (None, "(command line)")
