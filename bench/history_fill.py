"""Fill the history with a million runs quickly, for bench/history_queries.py.

The ORM's bulk_create took 781 s for a million runs on SQLite; most of that is keeping a
dozen B-tree indexes in step one random row at a time. Here the rows are written with
the database's own bulk path (executemany in one transaction on SQLite, COPY on
PostgreSQL) with the table's secondary B-tree indexes dropped and built again at the end
from sorted data, as a bulk load is done by hand. On SQLite the search index is written
by migration 0015's triggers, row by row, as the product writes it; on PostgreSQL the
search index is an expression index, dropped and built again with the others.

After the fill the tables are analyzed, and on PostgreSQL the run table is vacuumed too
(`VACUUM ANALYZE`), as autovacuum would leave it soon after a load: COPY leaves the
visibility map empty, so until a vacuum no index-only scan can skip the table's pages,
and the queries would be measured on a table no running server keeps for long.
"""

import json
import random
import uuid
from datetime import timedelta

SCRIPTS = ["sample", "report", "failing", "big_output", "progress_bar"]
REGIONS = ["eu", "us", "asia"]
BATCH = 10_000


def columns():
    from tasks.models import Task

    return [field.column for field in Task._meta.concrete_fields]


def rows(count, users, schedules, start, now):
    """The runs as tuples in `columns()` order, newest last (30 s apart)."""
    generator = random.Random(start)
    statuses = ["success"] * 6 + ["failed"] * 2 + ["cancelled"]
    tail = "some output\n" * 20
    for number in range(start, start + count):
        user_id, user_name = users[number % len(users)]
        created = now - timedelta(seconds=30 * (count + start - number))
        region = REGIONS[number % 3]
        batch = generator.randrange(1000)
        # One run in a hundred still pending or running: no end, no duration, maybe no
        # progress, so the unknown values have their place in every ordering.
        active = number % 100 == 7
        status = generator.choice(("pending", "running")) if active else generator.choice(statuses)
        ran = timedelta(seconds=generator.randrange(1, 600))
        trigger = ("manual", "api", "schedule")[number % 3]
        schedule = schedules[number % len(schedules)] if trigger == "schedule" else None
        started = None if status == "pending" else created + timedelta(seconds=1)
        ended = None if active else started + ran
        failed = status == "failed"
        values = {
            "id": uuid.UUID(int=generator.getrandbits(128), version=4),
            "script": SCRIPTS[generator.randrange(len(SCRIPTS))],
            "script_path": "x.py",
            "script_sha256": "",
            "interpreter": "/usr/bin/python3",
            "interpreter_version": "3.12.1",
            "argv": json.dumps(
                ["/usr/bin/python3", "x.py", f"--region={region}", f"--batch={batch}"]
            ),
            "script_args": json.dumps([f"--region={region}", f"--batch={batch}"]),
            "args": "[]",
            "params": json.dumps({"region": region, "batch": batch}),
            "env": "{}",
            "timeout": 60.0,
            "queue": "default",
            "trigger": trigger,
            "schedule_id": schedule,
            "user_id": user_id,
            "user_name": user_name,
            "status": status,
            "progress": None
            if status == "pending"
            else (100 if status == "success" else batch % 100),
            "progress_message": "",
            "created_at": created,
            "started_at": started,
            "completed_at": ended,
            "duration": None if active else ran,
            "return_code": None if active else (1 if failed else 0),
            "end_reason": "" if active else "exit",
            "error": "",
            "exception": f"ValueError: bad row {number}" if failed else "",
            "killed": False,
            "log_bytes": 240,
            "log_dropped_bytes": 0,
            "stdout_tail": tail,
            "stderr_tail": "",
            "sealed_secrets": "",
            "keep": False,
            "artifact_bytes": 0,
            "summary": "",
            "files_note": "",
            "worker": "",
        }
        yield values


def fill(count, users, schedules, start=0):
    """Insert `count` runs; returns nothing (the caller times it)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from tasks.models import Task

    now = timezone.now()
    fields = Task._meta.concrete_fields
    names = [field.column for field in fields]
    with transaction.atomic():
        indexes = _drop_indexes(connection)
        if connection.vendor == "postgresql":
            _copy(connection, fields, names, rows(count, users, schedules, start, now))
        else:
            _executemany(connection, fields, names, rows(count, users, schedules, start, now))
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Django's foreign keys are checked at commit; an index cannot be built
                # while those checks are pending.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for statement in indexes:
                cursor.execute(statement)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE tasks_task")  # outside a transaction: autocommit
        cursor.execute("ANALYZE")


def _prepare(fields, connection, values):
    out = []
    for field in fields:
        value = values.get(field.column)
        if value is None:
            out.append(None)
        elif field.get_internal_type() == "JSONField":
            out.append(value)  # already JSON text
        else:
            out.append(field.get_db_prep_save(value, connection))
    return out


def _executemany(connection, fields, names, source):
    quoted = ", ".join(connection.ops.quote_name(name) for name in names)
    marks = ", ".join("%s" for _ in names)
    sql = f"INSERT INTO tasks_task ({quoted}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB for the index builds
        batch = []
        for values in source:
            batch.append(_prepare(fields, connection, values))
            if len(batch) == BATCH:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def _copy(connection, fields, names, source):
    quoted = ", ".join(connection.ops.quote_name(name) for name in names)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: COPY
        with raw.copy(f"COPY tasks_task ({quoted}) FROM STDIN") as copy:
            for values in source:
                copy.write_row(_prepare(fields, connection, values))


def _drop_indexes(connection):
    """Drop the run table's secondary indexes; return the statements that make them
    again."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tasks_task' "
                "AND indexname NOT LIKE '%%_pkey'"
            )
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'tasks_task' AND sql IS NOT NULL"
            )
        found = cursor.fetchall()
        for name, _ in found:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [statement for _, statement in found]
