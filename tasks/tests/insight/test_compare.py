"""Two runs compared: real runs with differing parameters, the log diff and its limits."""

import re

import pytest
from django.test import Client

from tasks import services
from tasks.insight import compare
from tasks.models import Status
from tasks.tests.factories import make_task


@pytest.fixture
def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def real_run(user, script, params):
    task = services.execute(user, script, params)
    task.refresh_from_db()
    assert task.status == Status.SUCCESS, task.error
    return task


@pytest.mark.django_db(transaction=True)
def test_two_real_runs_with_differing_parameters(user, inline, signed_in):
    three = real_run(user, "lines", {"count": 3})
    five = real_run(user, "lines", {"count": 5})

    response = signed_in.get(f"/tasks/{three.pk}/compare/{five.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    rows = {
        label.strip(): bool(differs)
        for differs, label in re.findall(r'<tr( class="differs")?><th scope="row">([^<]+)', html)
    }
    assert rows["Parameters"] is True
    assert rows["Script SHA-256"] is False  # the same file ran
    assert rows["Interpreter"] is False
    assert rows["Status"] is False
    assert "count=3" in html
    assert "count=5" in html
    # Every line differs ([1/3] against [1/5]), and run five has two more.
    assert "\N{MINUS SIGN} [1/3] line 1" in html
    assert "+ [1/5] line 1" in html
    assert "+ [5/5] line 5" in html

    # Ignoring numbers, the logs differ only by the two extra lines.
    diff = compare.diff_logs(three, five, ignore_volatile=True)
    assert [kind for kind, _ in diff.lines if kind in "+-"] == ["+", "+"]
    assert [text for kind, text in diff.lines if kind == "+"] == ["[4/5] line 4", "[5/5] line 5"]
    assert diff.limits == []


@pytest.mark.django_db(transaction=True)
def test_the_same_log_compares_as_the_same(user, inline, signed_in):
    first = real_run(user, "lines", {"count": 4})
    second = real_run(user, "lines", {"count": 4})
    html = signed_in.get(f"/tasks/{first.pk}/compare/{second.pk}/").content.decode()
    assert "data-same>The two logs are the same" in html
    assert '<tr class="differs"><th scope="row">Parameters' not in html


def test_timestamps_and_numbers_can_be_ignored(user):
    left = make_task(user, output=b"2026-11-20 10:00:01 start job 0xdeadbeef01\nsame\nrows: 17\n")
    right = make_task(user, output=b"2026-11-21T11:22:33Z start job 0xfeedface99\nsame\nrows: 20\n")
    plain = compare.diff_logs(left, right)
    assert not plain.same
    assert ("-", "rows: 17") in plain.lines
    assert ("+", "rows: 20") in plain.lines
    assert ("@", "lines 1 / 1") in plain.lines
    assert compare.diff_logs(left, right, ignore_volatile=True).same


def test_a_log_beyond_the_limits_says_which_it_met(user, settings, monkeypatch):
    monkeypatch.setattr(compare, "MAX_LOG_BYTES", 1000)
    monkeypatch.setattr(compare, "MAX_LINES", 10)
    monkeypatch.setattr(compare, "MAX_DIFF_LINES", 8)
    # One chunk per line, as a script that prints slowly leaves its log.
    left = make_task(user, log=[("out", b"a %d\n" % n) for n in range(400)])
    right = make_task(user, log=[("out", b"b %d\n" % n) for n in range(400)])
    diff = compare.diff_logs(left, right)
    assert any("only its first" in limit for limit in diff.limits)
    assert any("more than 10 lines" in limit for limit in diff.limits)
    assert any("cut at 8 lines" in limit for limit in diff.limits)
    assert len(diff.lines) == 8


def test_a_multi_megabyte_log_pair_is_compared_within_the_bounds(user):
    body = b"".join(
        b"2026-11-20 10:00:%02d step %d of the job ok\n" % (n % 60, n) for n in range(150_000)
    )
    left = make_task(user, output=body)
    right = make_task(user, output=body.replace(b"step 70000 ", b"step 70000 FAILED "))
    assert left.log_bytes > 5 * 1024 * 1024
    diff = compare.diff_logs(left, right)
    changed = [(kind, text) for kind, text in diff.lines if kind in "+-"]
    assert changed == [
        ("-", "2026-11-20 10:00:40 step 70000 of the job ok"),
        ("+", "2026-11-20 10:00:40 step 70000 FAILED of the job ok"),
    ]
    assert diff.limits == []


def test_a_run_the_user_may_not_see_is_not_found(user, other_user, signed_in):
    mine = make_task(user)
    theirs = make_task(other_user)
    assert signed_in.get(f"/tasks/{mine.pk}/compare/{theirs.pk}/").status_code == 404
    assert signed_in.get(f"/tasks/{theirs.pk}/compare/{mine.pk}/").status_code == 404


def test_a_runs_page_links_to_the_compare_with_the_run_before(user, signed_in):
    before = make_task(user, age_minutes=10)
    task = make_task(user)
    html = signed_in.get(f"/tasks/{task.pk}/").content.decode()
    assert f'href="/tasks/{before.pk}/compare/{task.pk}/" data-compare-earlier' in html
    # The form takes a short id, as the pages show it.
    response = signed_in.get(f"/tasks/{task.pk}/compare/", {"with": before.short_id})
    assert response.status_code == 302
    assert response["Location"] == f"/tasks/{task.pk}/compare/{before.pk}/"


def test_the_form_says_when_there_is_no_such_run(user, signed_in):
    task = make_task(user)
    response = signed_in.get(f"/tasks/{task.pk}/compare/", {"with": "nope"}, follow=True)
    assert "There is no run “nope” among those you may see" in response.content.decode()
