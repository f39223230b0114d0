"""An UPDATE that returns the rows it changed."""

from collections.abc import Sequence
from typing import Any, cast

from django.db import NotSupportedError, models, router
from django.db.models import sql


def update_returning(
    queryset: models.QuerySet, returning: Sequence[str], **fields: Any
) -> list[dict[str, Any]]:
    """`queryset.update(**fields)` that also returns the `returning` fields of each row it
    changed, as they are after the update: one UPDATE ... RETURNING where the ORM's update
    and a read of the row after it cost two statements (a run's end pays it). Built with
    the ORM's own update query and compiler (what `Model.save()` uses for a field the
    database computes), so expressions and value conversions are the ORM's."""
    query = cast(sql.UpdateQuery, queryset.query.chain(sql.UpdateQuery))
    query.add_update_values(fields)
    meta = queryset.model._meta
    compiler = query.get_compiler(router.db_for_write(queryset.model))
    if not compiler.connection.features.can_return_rows_from_update:
        raise NotSupportedError(f"{compiler.connection.vendor} cannot UPDATE ... RETURNING")
    rows = compiler.execute_returning_sql([meta.get_field(name) for name in returning])
    return [dict(zip(returning, row, strict=True)) for row in rows]
