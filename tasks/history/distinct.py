"""The distinct values of an indexed column of the history, without reading every run.

The filter menus (the history page's scripts and users, the admin's) want the few
distinct values of a column over a million runs. `SELECT DISTINCT` reads every entry of
the index; a "loose index scan" jumps from each value to the next one instead, one index
seek per distinct value. Neither SQLite nor PostgreSQL plans one by itself (PostgreSQL's
wiki gives this recursive query as the way), and the ORM cannot say it, hence raw SQL.
"""

from django.db import connection

from tasks.models import Task

COLUMNS = {"script": "script", "user_name": "user_name", "user": "user_id"}


def distinct_values(name, limit):
    """Up to `limit` distinct non-null values of Task column `name`, in order."""
    column = connection.ops.quote_name(COLUMNS[name])
    table = connection.ops.quote_name(Task._meta.db_table)
    # Only quoted names from COLUMNS and the model's table are formatted in.
    sql = (
        f"WITH RECURSIVE seen(value) AS ("  # noqa: S608
        f"SELECT MIN({column}) FROM {table} UNION ALL "
        f"SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > seen.value) "
        f"FROM seen WHERE seen.value IS NOT NULL) "
        f"SELECT value FROM seen WHERE value IS NOT NULL LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [limit])
        return [row[0] for row in cursor.fetchall()]
