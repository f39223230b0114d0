"""The run form on the dashboard: every error in one round, in words, values kept, and a
form prefilled from its URL."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from tasks.models import Status, Task
from tasks.tests.factories import make_task
from tasks.tests.web.views.test_dashboard import field_block

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_every_error_comes_at_once_and_the_values_stay(signed_in):
    response = signed_in.post(
        "/run/echo/", {"param_count": "11", "param_mood": "NOT lower", "param_greeting": "hey"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "less than or equal to 10" in field_block(html, "param_count")
    # The catalog's pattern, checked in the same round as the field's own range.
    assert "Must match the pattern [a-z]+." in field_block(html, "param_mood")
    assert 'value="NOT lower"' in field_block(html, "param_mood")
    assert 'value="hey"' in field_block(html, "param_greeting")
    assert 'value="11"' in field_block(html, "param_count")
    assert not Task.objects.exists()


def test_a_pattern_with_its_own_message_says_it_in_words(signed_in, settings):
    settings.EXECUTOR_SCRIPTS = str(django_settings.BASE_DIR / "scripts" / "catalog.toml")
    response = signed_in.post("/run/report/", {"param_title": "Q3 <b>report</b>"})
    assert response.status_code == 400
    block = field_block(response.content.decode(), "param_title")
    assert "May contain only letters, digits, spaces and _ . , : ( ) -." in block
    assert "[A-Za-z" not in block.split("errorlist")[1]  # no regex in the message
    assert not Task.objects.exists()


def test_a_link_can_carry_a_ready_run(signed_in):
    response = signed_in.get(
        "/?script=echo&greeting=from+a+link&count=5&color=green&tags=a&tags=c&loud=on"
    )
    html = response.content.decode()
    assert 'value="from a link"' in field_block(html, "param_greeting")
    assert 'value="5"' in field_block(html, "param_count")
    assert '<option value="green" selected>' in field_block(html, "param_color")
    tags = field_block(html, "param_tags")
    assert 'value="a"' in tags
    assert tags.count("checked") == 2
    assert "checked" in field_block(html, "param_loud")


def test_a_link_cannot_prefill_a_secret(signed_in):
    html = signed_in.get("/?script=secret_echo&token=leaked").content.decode()
    assert "leaked" not in html


def test_the_estimate_prefers_runs_with_the_same_parameters(signed_in, user):
    now = timezone.now()
    for seconds in (2, 3, 4):  # quick runs with other parameters
        make_task(
            user, params={"count": 1}, started_at=now, completed_at=now + timedelta(seconds=seconds)
        )
    for seconds in (20, 22, 30):
        make_task(
            user, params={"count": 9}, started_at=now, completed_at=now + timedelta(seconds=seconds)
        )
    pending = make_task(user, status=Status.PENDING, params={"count": 9})
    html = signed_in.get(f"/?script=echo&run={pending.pk}").content.decode()
    assert 'data-typical="22.0"' in html
    assert "usually takes 22.0 s with these parameters" in html
    other = make_task(user, status=Status.PENDING, params={"count": 5})
    html = signed_in.get(f"/?script=echo&run={other.pk}").content.decode()
    assert 'data-typical="12.0"' in html  # no run had count 5: the script's median
    assert "usually takes 12.0 s for this script" in html
