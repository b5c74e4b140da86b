"""A search document the database keeps current by itself.

A stored generated column is rewritten by the database on every INSERT and UPDATE, whatever
wrote the row: `save()`, `bulk_create`, `QuerySet.update()`, a seed loader or plain SQL. That
is the one way to be sure the search index never goes stale.

- PostgreSQL: a weighted `tsvector` (title A, summary B, the five sections C) behind a GIN
  index (created in the migration).
- SQLite: the lower-cased text of the same fields, for a simple LIKE fallback.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Value

SEARCH_CONFIG = "english"
WEIGHTED_COLUMNS = (
    ("A", ("title",)),
    ("B", ("summary",)),
    ("C", ("context", "approach", "outcomes", "lessons", "next_steps")),
)


class SearchDocumentField(models.GeneratedField):
    db_returning = False  # nobody reads the vector back after a write

    def __init__(self, **kwargs):
        kwargs.pop("expression", None)
        kwargs.pop("output_field", None)
        kwargs.pop("db_persist", None)
        super().__init__(
            expression=Value(""), output_field=SearchVectorField(), db_persist=True, **kwargs
        )

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        for key in ("expression", "output_field", "db_persist", "editable", "blank"):
            kwargs.pop(key, None)
        return name, "casestudies.fields.SearchDocumentField", args, kwargs

    def db_type(self, connection):
        return "tsvector" if connection.vendor == "postgresql" else "text"

    def generated_sql(self, connection):
        quote = connection.ops.quote_name

        def joined(columns):
            return " || ' ' || ".join(f"coalesce({quote(c)}, '')" for c in columns)

        if connection.vendor == "postgresql":
            parts = [
                f"setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, {joined(cols)}), '{weight}')"
                for weight, cols in WEIGHTED_COLUMNS
            ]
            return " || ".join(parts), []
        every_column = [c for _weight, cols in WEIGHTED_COLUMNS for c in cols]
        return f"lower({joined(every_column)})", []
