"""Resources become searchable beside case studies (see casestudies/search.py).

- PostgreSQL: a GIN index on the resources' weighted search document (title A, summary B), an
  expression that search.RESOURCE_DOCUMENT repeats exactly so that the planner uses the index.
  No stored column: Resource keeps only its own fields.
- SQLite: an external-content FTS5 table over title and summary, kept in step by triggers, as
  migration 0004_sqlite_fts does for case studies.

A later migration that makes Django rebuild casestudies_resource on SQLite drops these triggers
with the old table, so it must create them again (TRIGGERS below).
tests/casestudies/test_resource_search.py fails if the index falls behind.
"""

from django.db import migrations

# Unqualified column names: an index expression names only its own table's columns. The query's
# qualified names (casestudies_resource.title) parse to the same expression.
PG_DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(summary, '')), 'B')"
)
PG_INDEX = f"CREATE INDEX resource_search_document ON casestudies_resource USING gin (({PG_DOCUMENT}))"

# The column order is the order of the weights given to bm25() in casestudies/search.py.
CREATE_INDEX = """
CREATE VIRTUAL TABLE casestudies_resource_fts USING fts5(
    title, summary, content='casestudies_resource', content_rowid='id', tokenize='porter unicode61'
)
"""

TRIGGERS = (
    """
    CREATE TRIGGER casestudies_resource_fts_insert AFTER INSERT ON casestudies_resource BEGIN
        INSERT INTO casestudies_resource_fts (rowid, title, summary) VALUES (new.id, new.title, new.summary);
    END
    """,
    """
    CREATE TRIGGER casestudies_resource_fts_delete AFTER DELETE ON casestudies_resource BEGIN
        INSERT INTO casestudies_resource_fts (casestudies_resource_fts, rowid, title, summary)
        VALUES ('delete', old.id, old.title, old.summary);
    END
    """,
    # Publishing and other changes of status leave the text alone: no reindexing.
    """
    CREATE TRIGGER casestudies_resource_fts_update AFTER UPDATE OF title, summary ON casestudies_resource
    WHEN old.title IS NOT new.title OR old.summary IS NOT new.summary
    BEGIN
        INSERT INTO casestudies_resource_fts (casestudies_resource_fts, rowid, title, summary)
        VALUES ('delete', old.id, old.title, old.summary);
        INSERT INTO casestudies_resource_fts (rowid, title, summary) VALUES (new.id, new.title, new.summary);
    END
    """,
)

REBUILD = "INSERT INTO casestudies_resource_fts (casestudies_resource_fts) VALUES ('rebuild')"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_INDEX)
        return
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(CREATE_INDEX)
    for trigger in TRIGGERS:
        schema_editor.execute(trigger)
    schema_editor.execute(REBUILD)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS resource_search_document")
        return
    if schema_editor.connection.vendor != "sqlite":
        return
    for event in ("insert", "delete", "update"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS casestudies_resource_fts_{event}")
    schema_editor.execute("DROP TABLE IF EXISTS casestudies_resource_fts")


class Migration(migrations.Migration):
    dependencies = [("casestudies", "0006_resource")]
    operations = [migrations.RunPython(create, drop)]
