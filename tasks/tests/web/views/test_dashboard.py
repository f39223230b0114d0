"""The dashboard: the run form built from the catalog, Execute, the current run's panel."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from tasks.models import Status, Task
from tasks.tests.factories import make_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def field_block(html, name):
    """The markup of one form field's block: label, control, help, errors."""
    form = html.split('<div class="form-actions">')[0]
    blocks = [block for block in form.split('<div class="field') if f'id="id_{name}' in block]
    assert len(blocks) == 1, f"no field {name}"
    return blocks[0]


def test_it_sends_anonymous_visitors_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_lists_only_the_scripts_the_user_may_run(signed_in):
    html = signed_in.get("/").content.decode()
    assert "?script=echo" in html
    assert "?script=lines" in html
    assert "secret_club" not in html


def test_a_group_member_sees_the_groups_scripts(signed_in, user, club):
    user.groups.add(club)
    assert "?script=secret_club" in signed_in.get("/").content.decode()


def test_each_parameter_gets_its_control_help_and_default(signed_in):
    html = signed_in.get("/?script=echo").content.decode()
    greeting = field_block(html, "param_greeting")
    assert 'type="text"' in greeting
    assert 'value="hello"' in greeting
    assert "Default:" in greeting
    count = field_block(html, "param_count")
    assert 'type="number"' in count
    assert 'min="0"' in count
    assert 'max="10"' in count
    assert 'type="checkbox"' in field_block(html, "param_loud")
    assert "<select" in field_block(html, "param_color")
    assert html.count('name="param_tags"') == 3  # one checkbox per choice


def test_execute_starts_the_run_and_shows_its_panel(signed_in, user):
    response = signed_in.post("/run/echo/", {"param_greeting": "hi", "param_count": "2"})
    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.user, task.script, task.params["count"]) == (user, "echo", 2)
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query == {"script": ["echo"], "run": [str(task.pk)]}
    html = signed_in.get(response["Location"]).content.decode()
    assert f'data-run="{task.pk}"' in html
    assert f"/tasks/{task.pk}/events/" in html
    assert 'value="hi"' in html  # the form repeats the run's parameters


def test_a_bad_value_is_refused_with_the_message_beside_its_field(signed_in):
    response = signed_in.post("/run/echo/", {"param_count": "11"})
    assert response.status_code == 400
    assert not Task.objects.exists()
    block = field_block(response.content.decode(), "param_count")
    assert "errorlist" in block
    assert "less than or equal to 10" in block
    assert 'aria-invalid="true"' in block


def test_the_catalogs_own_rules_put_their_message_beside_the_field(signed_in):
    response = signed_in.post("/run/echo/", {"param_mood": "NOT lower"})
    assert response.status_code == 400
    assert "Must match the pattern" in field_block(response.content.decode(), "param_mood")
    assert not Task.objects.exists()


def test_a_script_the_user_may_not_run_cannot_be_posted(signed_in):
    assert signed_in.post("/run/secret_club/", {}).status_code == 404
    assert not Task.objects.exists()


def test_it_refuses_get_on_the_run_url(signed_in):
    assert signed_in.get("/run/echo/").status_code == 405


def test_another_users_run_gets_no_panel(signed_in, other_user):
    task = make_task(other_user)
    html = signed_in.get(f"/?script=echo&run={task.pk}").content.decode()
    assert "data-run=" not in html
    assert str(task.pk) not in html


def test_a_malformed_run_id_is_ignored(signed_in):
    response = signed_in.get("/?run=not-a-uuid")
    assert response.status_code == 200
    assert "data-run=" not in response.content.decode()


def test_an_unknown_script_is_named_in_a_warning(signed_in):
    html = signed_in.get("/?script=nope").content.decode()
    assert "There is no script “nope”" in html


def test_a_broken_catalog_is_reported_on_the_page(signed_in, settings, tmp_path):
    settings.EXECUTOR_SCRIPTS = str(tmp_path / "missing.toml")
    response = signed_in.get("/")
    assert response.status_code == 200
    assert "The script catalog cannot be loaded" in response.content.decode()


def test_recent_runs_are_the_users_own(signed_in, user, other_user):
    mine = make_task(user)
    theirs = make_task(other_user)
    html = signed_in.get("/").content.decode()
    assert mine.short_id in html
    assert theirs.short_id not in html


def test_parameters_shown_on_the_page_are_escaped(signed_in, user):
    task = make_task(user, params={"greeting": "<script>alert(1)</script>"})
    html = signed_in.get(f"/?script=echo&run={task.pk}").content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)" in html


def test_the_panel_estimates_from_the_scripts_recent_successful_runs(signed_in, user):
    now = timezone.now()
    for seconds in (10, 20, 30):
        make_task(user, started_at=now, completed_at=now + timedelta(seconds=seconds))
    make_task(user, status=Status.FAILED, started_at=now, completed_at=now + timedelta(hours=1))
    pending = make_task(user, status=Status.PENDING)
    html = signed_in.get(f"/?script=echo&run={pending.pk}").content.decode()
    assert 'data-typical="20.0"' in html
    assert "usually takes 20.0 s with these parameters" in html  # all had none
