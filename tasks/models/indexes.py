"""An index for a nullable column the history sorts by, with unknown values first.

The history puts a run whose duration (progress, exit code, ...) is unknown first when
sorting ascending and last when descending, on every database: one index walked either
way serves both. PostgreSQL sorts NULL last unless told, so its index says NULLS FIRST;
SQLite sorts NULL first already and refuses NULLS FIRST in CREATE INDEX ("unsupported use
of NULLS FIRST"), so there the same index is written without it. Django's Index renders
the same SQL on every database, hence this subclass.
"""

from django.db import models


class NullsFirstIndex(models.Index):
    def __init__(self, *, column: str, name: str) -> None:
        super().__init__(models.F(column).asc(nulls_first=True), models.F("id").asc(), name=name)
        self.column = column

    def deconstruct(self):
        path, _, _ = super().deconstruct()
        return path, (), {"column": self.column, "name": self.name}

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "sqlite":
            plain = models.Index(fields=[self.column, "id"], name=self.name)
            return plain.create_sql(model, schema_editor, using, **kwargs)
        return super().create_sql(model, schema_editor, using, **kwargs)
