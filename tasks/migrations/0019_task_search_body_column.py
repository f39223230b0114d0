"""PostgreSQL: the search document as a stored generated column, its trigram index on it.

0015's index is on the function itself, so every run the planner tests row by row (a
page walked through the ordering's index, the recheck of a bitmap, the capped count)
evaluates the function again: about 100 µs a run on the shared machine, which made the
first page of a common search take 100-300 ms and `param.region=eu` seconds. Stored,
testing a run is a LIKE on its text, and the column has statistics of its own for the
planner. SQLite keeps its FTS5 table (0015), which already stores the document.

Adding the column rewrites the table (about a minute a million runs).
"""

from django.db import migrations

POSTGRES_FORWARD = [
    """ALTER TABLE tasks_task ADD COLUMN search_body text GENERATED ALWAYS AS (
        tasks_search_body(script, user_name, exception, argv, params)) STORED""",
    "CREATE INDEX task_search_body_trgm ON tasks_task USING gin (search_body gin_trgm_ops)",
    "DROP INDEX task_search_trgm",
    "ANALYZE tasks_task",
]
POSTGRES_BACKWARD = [
    """CREATE INDEX task_search_trgm ON tasks_task USING gin (
        tasks_search_body(script, user_name, exception, argv, params) gin_trgm_ops)""",
    "ALTER TABLE tasks_task DROP COLUMN search_body",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0018_token_audit_actions"),
    ]

    operations = [
        migrations.RunPython(_run(POSTGRES_FORWARD), _run(POSTGRES_BACKWARD)),
    ]
