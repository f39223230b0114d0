"""GET /tasks/<id>/log/: the whole log as plain text in the browser."""

import pytest

from tasks.tests.factories import make_task

pytestmark = pytest.mark.django_db


def test_it_serves_the_whole_log_as_inert_text(client, user):
    task = make_task(user, log=[("out", b"<script>alert(1)</script>\n"), ("err", b"oops\n")])
    client.force_login(user)
    response = client.get(f"/tasks/{task.pk}/log/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline;")
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>\noops\n"


def test_another_users_log_is_not_found(client, user, other_user):
    task = make_task(other_user, log=[("out", b"secret\n")])
    client.force_login(user)
    assert client.get(f"/tasks/{task.pk}/log/").status_code == 404


@pytest.mark.parametrize(("attachment", "disposition"), [(False, "inline"), (True, "attachment")])
def test_the_log_response_pages_and_the_api_share(user, attachment, disposition):
    from tasks.history.logs import text_response

    task = make_task(user, script="My Job", log=[("out", b"one\n"), ("err", b"two\n")])
    response = text_response(task, attachment=attachment)
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == (
        f'{disposition}; filename="my-job-{task.short_id}.log"'
    )
    assert b"".join(response.streaming_content) == b"one\ntwo\n"
