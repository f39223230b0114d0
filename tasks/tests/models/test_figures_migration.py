"""Migration 0014 fills the figures from the history an upgrade finds."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("tasks", "0013_subscription_schedule")]
AFTER = [("tasks", "0014_script_daily_figures")]


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_counts_the_runs_already_there():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Task = old.get_model("tasks", "Task")
    created = datetime(2026, 11, 20, 9, 15, tzinfo=UTC)
    for seconds, status in ((1.5, "success"), (4, "success"), (60, "failed"), (None, "pending")):
        Task.objects.create(
            script="echo",
            script_path="echo.py",
            interpreter="/usr/bin/python3",
            timeout=30,
            user_name="gone",
            status=status,
            created_at=created,
            started_at=created,
            duration=None if seconds is None else timedelta(seconds=seconds),
            exception="ValueError: x" if status == "failed" else "",
            log_bytes=10,
        )
    try:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps
        totals = {row.status: row for row in new.get_model("tasks", "ScriptTotal").objects.all()}
        assert set(totals) == {"success", "failed"}  # the pending run has not ended
        assert (totals["success"].runs, totals["success"].timed) == (2, 2)
        assert totals["success"].duration_seconds == pytest.approx(5.5)
        assert (totals["failed"].runs, totals["failed"].log_bytes) == (1, 10)
        hours = new.get_model("tasks", "ScriptHour").objects.values_list("hour", flat=True)
        assert set(hours) == {int(created.timestamp()) // 3600}
        lines = new.get_model("tasks", "ScriptException").objects.get()
        assert (lines.exception, lines.runs) == ("ValueError: x", 1)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
