"""The history's "select two to compare": a GET form of ticked rows, to the comparison."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tasks.tests.factories import make_task


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_every_row_has_a_box_for_the_compare_form(signed_in, user):
    runs = [make_task(user, "echo") for _ in range(2)]
    html = signed_in.get("/history/?script=echo").content.decode()
    assert 'form id="compare-runs" method="get" action="/history/compare/"' in html
    assert 'name="back" value="script=echo"' in html
    for run in runs:
        assert f'name="run" value="{run.pk}" form="compare-runs"' in html
    assert f"Select run {runs[0].short_id} to compare" in html


def test_two_ticked_runs_go_to_their_comparison_the_older_on_the_left(signed_in, user):
    older = make_task(user, "echo", created_at=timezone.now() - timedelta(hours=1))
    newer = make_task(user, "echo")
    response = signed_in.get("/history/compare/", {"run": [newer.pk, older.pk]})
    assert response.status_code == 302
    assert response["Location"] == f"/tasks/{older.pk}/compare/{newer.pk}/"
    assert signed_in.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("ticked", [0, 1, 3])
def test_any_other_count_goes_back_to_the_same_history_page_saying_so(signed_in, user, ticked):
    runs = [make_task(user, "echo") for _ in range(3)]
    response = signed_in.get(
        "/history/compare/",
        {"run": [run.pk for run in runs[:ticked]], "back": "script=echo&page=1"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/history/?script=echo&page=1"
    assert f"Tick exactly two runs to compare: {ticked} were ticked." in response.content.decode()


def test_the_same_run_twice_counts_once(signed_in, user):
    run = make_task(user, "echo")
    response = signed_in.get("/history/compare/", {"run": [run.pk, run.pk]}, follow=True)
    assert "1 were ticked" in response.content.decode()


def test_a_run_the_user_may_not_see_is_refused_without_saying_whose(signed_in, user, other_user):
    mine, theirs = make_task(user, "echo"), make_task(other_user, "echo")
    for pair in ([mine.pk, theirs.pk], [mine.pk, "not-an-id"]):
        response = signed_in.get("/history/compare/", {"run": pair}, follow=True)
        assert response.redirect_chain[-1][0] == "/history/"
        assert "not among those you may see" in response.content.decode()


def test_back_cannot_lead_off_the_history_page(signed_in, user):
    response = signed_in.get("/history/compare/", {"back": "x\r\nLocation: https://evil"})
    assert response["Location"].startswith("/history/?")
    assert "\n" not in response["Location"]
