"""GET /api/health answers without authentication and reports its parts."""

import pytest

pytestmark = pytest.mark.django_db


def test_it_answers_signed_out_with_the_seeds_status(anonymous):
    response = anonymous.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["status"] == "healthy"
    assert body["database"] == "ok"
    assert body["engine"]["backend"] == "record"


@pytest.mark.django_db(transaction=True)
def test_it_reports_the_worker_pool(anonymous, engine):
    engine_status = anonymous.get("/api/health/").json()["engine"]
    assert engine_status["backend"] == "thread"
    assert engine_status["started"] is True
    assert engine_status["workers"] == 4
