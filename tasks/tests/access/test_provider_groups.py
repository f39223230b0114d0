"""tasks.access.provider_groups: a provider's groups become Django groups and flags."""

import pytest
from django.contrib.auth.models import Group

from tasks import access
from tasks.access.provider_groups import apply_provider_groups, clean_names, roles_for
from tasks.catalog.loader import get_catalog


def names(user):
    return set(user.groups.values_list("name", flat=True))


def test_without_a_map_the_users_groups_mirror_the_providers(user, club):
    user.groups.add(Group.objects.create(name="given-by-hand"))
    change = apply_provider_groups(user, ["club", "ops"], source="test")
    assert names(user) == {"club", "ops"}
    assert change.added == ("club", "ops")
    assert change.removed == ("given-by-hand",)


def test_with_a_map_only_its_groups_are_managed(settings, user, club):
    settings.EXECUTOR_SSO_GROUP_MAP = {
        "CN=eng,OU=groups,DC=example": ["club"],
        "ops": ["operators"],
    }
    user.groups.add(
        Group.objects.create(name="given-by-hand"), Group.objects.create(name="operators")
    )
    apply_provider_groups(user, ["CN=eng,OU=groups,DC=example", "unmapped"], source="test")
    assert names(user) == {"club", "given-by-hand"}
    assert not Group.objects.filter(name="unmapped").exists()


def test_staff_and_superuser_follow_their_groups_when_set(settings, user):
    settings.EXECUTOR_SSO_STAFF_GROUPS = ["staff"]
    settings.EXECUTOR_SSO_SUPERUSER_GROUPS = ["root"]
    apply_provider_groups(user, ["root"], source="test")
    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser) == (True, True)
    apply_provider_groups(user, ["staff"], source="test")
    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser) == (True, False)
    apply_provider_groups(user, [], source="test")
    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser) == (False, False)


def test_unmanaged_flags_stay_as_an_admin_set_them(staff):
    apply_provider_groups(staff, [], source="test")
    staff.refresh_from_db()
    assert staff.is_staff


def test_a_removed_group_takes_the_script_away_at_once(user, club):
    entry = get_catalog().get("secret_club")
    apply_provider_groups(user, ["club"], source="test")
    assert access.can_run(user, entry)
    apply_provider_groups(user, [], source="test")
    assert not access.can_run(user, entry)


def test_a_claims_odd_values_are_dropped():
    assert clean_names("ops") == ["ops"]
    assert clean_names(["ops", 3, "", " x ", None, {"a": 1}]) == ["ops", "x"]
    assert clean_names(None) == []
    assert clean_names(42) == []


def test_roles_for_says_nothing_of_flags_nobody_configured():
    roles = roles_for(["a"])
    assert roles.is_staff is None
    assert roles.is_superuser is None


def test_the_change_is_one_transaction(settings, user, monkeypatch):
    settings.EXECUTOR_SSO_STAFF_GROUPS = ["new"]
    user.groups.add(Group.objects.create(name="old"))

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(type(user), "save", broken)
    with pytest.raises(RuntimeError):
        apply_provider_groups(user, ["new"], source="test")
    assert names(user) == {"old"}
