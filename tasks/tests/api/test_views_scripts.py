"""GET /api/scripts: what this user may run, with parameter schemas."""

import pytest
from django.contrib.auth.models import Permission

from tasks.tests.conftest import token_client

pytestmark = pytest.mark.django_db


def keys(client):
    return {script["key"] for script in client.get("/api/scripts").json()["scripts"]}


def test_it_lists_the_scripts_with_their_parameters(api):
    scripts = {script["key"]: script for script in api.get("/api/scripts").json()["scripts"]}
    assert "echo" in scripts
    assert [param["name"] for param in scripts["echo"]["params"]][:2] == ["greeting", "count"]


def test_a_group_only_script_is_listed_for_members_and_run_any_users(user, other_user, club):
    assert "secret_club" not in keys(token_client(user))
    user.groups.add(club)
    assert "secret_club" in keys(token_client(user))
    other_user.user_permissions.add(Permission.objects.get(codename="run_any_script"))
    assert "secret_club" in keys(token_client(other_user))


def test_a_member_can_run_a_group_only_script(user, club, recorded):
    user.groups.add(club)
    response = token_client(user).post(
        "/api/execute", {"script_type": "secret_club"}, format="json"
    )
    assert response.status_code == 201
