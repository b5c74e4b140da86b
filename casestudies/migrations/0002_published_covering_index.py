from django.db import migrations


def create(apps, schema_editor):
    # Published lists walk this partial index newest first; carrying organisation_id lets a
    # region or organisation-type filter be checked without visiting the table (PostgreSQL only).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX casestudy_published_newest ON casestudies_casestudy "
            "(published_at DESC, id DESC) INCLUDE (organisation_id) WHERE status = 'published'"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS casestudy_published_newest")


class Migration(migrations.Migration):
    dependencies = [("casestudies", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
