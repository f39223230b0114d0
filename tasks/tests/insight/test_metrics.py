"""GET /metrics: the Prometheus text format, parsed with prometheus_client's own parser and
checked against the runs the test made; refused without the token or a staff account."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tasks import services
from tasks.history.purging import purge
from tasks.models import Status, Task
from tasks.tests.factories import finished_run, make_task

TOKEN = "scrape-me-0123456789"


@pytest.fixture
def metrics_token(settings):
    settings.EXECUTOR_METRICS_TOKEN = TOKEN


def scrape(client=None, token=TOKEN):
    client = client or Client()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return samples(response.content.decode())


def samples(text):
    """{(sample name, frozenset of labels): value} of every sample in the exposition."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found, name, **labels):
    return found.get((name, frozenset(labels.items())))


@pytest.mark.usefixtures("metrics_token")
def test_the_figures_are_the_runs_in_the_history(user):
    for seconds in (0.05, 2, 2, 45):
        finished_run(user, "echo", seconds=seconds, log_bytes=100)
    finished_run(user, "echo", Status.FAILED, log_bytes=7, log_dropped_bytes=3)
    finished_run(user, "lines", Status.CANCELLED, started=False)
    make_task(user, "lines", Status.RUNNING, log_bytes=10)
    make_task(user, "lines", Status.PENDING, age_minutes=5)
    make_task(user, "echo", Status.PENDING, age_minutes=2)

    found = scrape()

    assert value(found, "executor_runs_finished_total", script="echo", status="success") == 4
    assert value(found, "executor_runs_finished_total", script="echo", status="failed") == 1
    assert value(found, "executor_runs_finished_total", script="lines", status="cancelled") == 1
    assert value(found, "executor_runs_finished_total", script="lines", status="success") is None
    # A run cancelled before it started never started; a running one did.
    assert value(found, "executor_runs_started_total", script="echo") == 5
    assert value(found, "executor_runs_started_total", script="lines") == 1
    assert value(found, "executor_log_bytes_total", script="echo") == 407
    assert value(found, "executor_log_bytes_total", script="lines") == 10
    assert value(found, "executor_log_dropped_bytes_total", script="echo") == 3
    assert value(found, "executor_runs_pending", script="lines") == 1
    assert value(found, "executor_runs_pending", script="echo") == 1
    assert value(found, "executor_runs_running", script="lines") == 1
    assert 300 <= value(found, "executor_oldest_pending_age_seconds") < 330

    # Durations: the four successes (0.05, 2, 2, 45 s) and the failure (2 s), in buckets
    # of a 1-2-5 series (upper bounds included).
    histogram = "executor_run_duration_seconds"
    assert value(found, f"{histogram}_bucket", script="echo", le="0.05") == 1
    assert value(found, f"{histogram}_bucket", script="echo", le="1.0") == 1
    assert value(found, f"{histogram}_bucket", script="echo", le="2.0") == 4
    assert value(found, f"{histogram}_bucket", script="echo", le="20.0") == 4
    assert value(found, f"{histogram}_bucket", script="echo", le="50.0") == 5
    assert value(found, f"{histogram}_bucket", script="echo", le="+Inf") == 5
    assert value(found, f"{histogram}_count", script="echo") == 5
    assert value(found, f"{histogram}_sum", script="echo") == pytest.approx(51.05)
    # The cancelled run never ran: no duration, not in the histogram.
    assert value(found, f"{histogram}_count", script="lines") is None


@pytest.mark.usefixtures("metrics_token")
def test_a_purge_leaves_the_counters_as_they_were(user):
    for _ in range(3):
        finished_run(user, "echo", log_bytes=5)
    before = scrape()
    purge(None, Task.objects.all())
    assert not Task.objects.exists()
    after = scrape()
    assert value(after, "executor_runs_finished_total", script="echo", status="success") == 3
    assert value(after, "executor_log_bytes_total", script="echo") == 15
    assert {key: found for key, found in after.items() if "oldest" not in key[0]} == {
        key: found for key, found in before.items() if "oldest" not in key[0]
    }


@pytest.mark.usefixtures("metrics_token")
@pytest.mark.django_db(transaction=True)
def test_a_real_run_shows_in_the_counters_with_the_bytes_it_wrote(user, inline):
    task = services.execute(user, "lines", {"count": 3})
    task.refresh_from_db()
    assert task.status == Status.SUCCESS
    expected = len("".join(f"[{n}/3] line {n}\n" for n in (1, 2, 3)))
    assert task.log_bytes == expected

    found = scrape()

    assert value(found, "executor_runs_started_total", script="lines") == 1
    assert value(found, "executor_runs_finished_total", script="lines", status="success") == 1
    assert value(found, "executor_log_bytes_total", script="lines") == expected
    assert value(found, "executor_run_duration_seconds_count", script="lines") == 1
    assert value(found, "executor_run_duration_seconds_sum", script="lines") == pytest.approx(
        task.duration.total_seconds()
    )
    assert value(found, "executor_oldest_pending_age_seconds") == 0


@pytest.mark.usefixtures("metrics_token")
@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 401),
        ("Bearer wrong-token", 401),
        (f"Token {TOKEN}", 401),
        (f"Bearer {TOKEN}x", 401),
    ],
)
def test_it_refuses_a_scraper_without_the_token(db, header, status):
    headers = {"Authorization": header} if header else {}
    response = Client().get("/metrics", headers=headers)
    assert response.status_code == status
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"executor_" not in response.content
    assert b"EXECUTOR_METRICS_TOKEN" in response.content


def test_without_a_configured_token_no_bearer_gets_in(db, settings):
    settings.EXECUTOR_METRICS_TOKEN = ""
    response = Client().get("/metrics", headers={"Authorization": "Bearer "})
    assert response.status_code == 401


def test_staff_signed_in_read_the_metrics_and_other_users_do_not(user, staff):
    finished_run(user, "echo")
    client = Client()
    client.force_login(user)
    assert client.get("/metrics").status_code == 403
    client.force_login(staff)
    found = scrape(client, token=None)
    assert value(found, "executor_runs_finished_total", script="echo", status="success") == 1


def test_the_queue_age_is_zero_when_nothing_waits(user, metrics_token):
    Task.objects.all().delete()
    make_task(user, "echo", created_at=timezone.now() - timedelta(days=3))
    assert value(scrape(), "executor_oldest_pending_age_seconds") == 0
