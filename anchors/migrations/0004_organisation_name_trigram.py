"""A trigram index for the directory's name search, on PostgreSQL only (SQLite has no pg_trgm).

Django's `icontains` compiles to UPPER("name"::text) LIKE UPPER(...), so the index is on that
expression."""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    'CREATE INDEX IF NOT EXISTS anchors_org_name_upper_trgm ON anchors_organisation '
    'USING gin ((UPPER("name"::text)) gin_trgm_ops)',
]
DROP = ["DROP INDEX IF EXISTS anchors_org_name_upper_trgm"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("anchors", "0003_listed_status")]

    operations = [migrations.RunPython(run(CREATE), run(DROP))]
