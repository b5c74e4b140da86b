"""On SQLite, a full-text index (FTS5) over each case study's title, summary and sections.

It is an external-content table: the text stays in casestudies_casestudy and the index holds
only the (porter-stemmed) tokens. Triggers keep it in step with every write to the table,
whatever made it (services, bulk_create, QuerySet.update(), the demo loader, plain SQL), as the
generated search column does on PostgreSQL. PostgreSQL needs nothing here: it searches that
weighted tsvector column behind its GIN index.

A later migration that makes Django rebuild casestudies_casestudy on SQLite (changing a column's
type or constraints, for example) drops these triggers with the old table, so it must create
them again (TRIGGERS below). tests/casestudies/test_search.py fails if the index falls behind.
"""

from django.db import migrations

# The column order is the order of the weights given to bm25() in casestudies/search.py.
CREATE_INDEX = """
CREATE VIRTUAL TABLE casestudies_casestudy_fts USING fts5(
    title, summary, context, approach, outcomes, lessons, next_steps,
    content='casestudies_casestudy', content_rowid='id', tokenize='porter unicode61'
)
"""

# With external content, removing a row from the index takes its old text exactly.
TRIGGERS = (
    """
    CREATE TRIGGER casestudies_casestudy_fts_insert AFTER INSERT ON casestudies_casestudy BEGIN
        INSERT INTO casestudies_casestudy_fts
            (rowid, title, summary, context, approach, outcomes, lessons, next_steps)
        VALUES (new.id, new.title, new.summary, new.context, new.approach, new.outcomes, new.lessons,
                new.next_steps);
    END
    """,
    """
    CREATE TRIGGER casestudies_casestudy_fts_delete AFTER DELETE ON casestudies_casestudy BEGIN
        INSERT INTO casestudies_casestudy_fts
            (casestudies_casestudy_fts, rowid, title, summary, context, approach, outcomes, lessons, next_steps)
        VALUES ('delete', old.id, old.title, old.summary, old.context, old.approach, old.outcomes, old.lessons,
                old.next_steps);
    END
    """,
    # Publishing, archiving and other changes of status leave the text alone: no reindexing.
    """
    CREATE TRIGGER casestudies_casestudy_fts_update
    AFTER UPDATE OF title, summary, context, approach, outcomes, lessons, next_steps ON casestudies_casestudy
    WHEN old.title IS NOT new.title OR old.summary IS NOT new.summary OR old.context IS NOT new.context
        OR old.approach IS NOT new.approach OR old.outcomes IS NOT new.outcomes
        OR old.lessons IS NOT new.lessons OR old.next_steps IS NOT new.next_steps
    BEGIN
        INSERT INTO casestudies_casestudy_fts
            (casestudies_casestudy_fts, rowid, title, summary, context, approach, outcomes, lessons, next_steps)
        VALUES ('delete', old.id, old.title, old.summary, old.context, old.approach, old.outcomes, old.lessons,
                old.next_steps);
        INSERT INTO casestudies_casestudy_fts
            (rowid, title, summary, context, approach, outcomes, lessons, next_steps)
        VALUES (new.id, new.title, new.summary, new.context, new.approach, new.outcomes, new.lessons,
                new.next_steps);
    END
    """,
)

# Index the case studies already there.
REBUILD = "INSERT INTO casestudies_casestudy_fts (casestudies_casestudy_fts) VALUES ('rebuild')"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(CREATE_INDEX)
    for trigger in TRIGGERS:
        schema_editor.execute(trigger)
    schema_editor.execute(REBUILD)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for event in ("insert", "delete", "update"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS casestudies_casestudy_fts_{event}")
    schema_editor.execute("DROP TABLE IF EXISTS casestudies_casestudy_fts")


class Migration(migrations.Migration):
    dependencies = [("casestudies", "0003_section_html")]
    operations = [migrations.RunPython(create, drop)]
