"""The language a case study or a resource is written in (pages mark its text with lang="...").

On SQLite, adding a column with a default makes Django rebuild both tables, which drops the
full-text index triggers of migrations 0004_sqlite_fts and 0007_resource_search with the old
tables: they are created again here, as those migrations ask.
"""

from importlib import import_module

from django.db import migrations, models

CASE_STUDY_FTS = import_module("casestudies.migrations.0004_sqlite_fts")
RESOURCE_FTS = import_module("casestudies.migrations.0007_resource_search")


def recreate_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for table, module in (("casestudy", CASE_STUDY_FTS), ("resource", RESOURCE_FTS)):
        for event in ("insert", "delete", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS casestudies_{table}_fts_{event}")
        for trigger in module.TRIGGERS:
            schema_editor.execute(trigger)


class Migration(migrations.Migration):

    dependencies = [
        ("casestudies", "0008_welsh_verbose_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="casestudy",
            name="language",
            field=models.CharField(choices=[("en-gb", "English"), ("cy", "Cymraeg")], default="en-gb", max_length=8, verbose_name="Language this is written in"),
        ),
        migrations.AddField(
            model_name="resource",
            name="language",
            field=models.CharField(choices=[("en-gb", "English"), ("cy", "Cymraeg")], default="en-gb", max_length=8, verbose_name="Language this is written in"),
        ),
        migrations.RunPython(recreate_triggers, recreate_triggers),
    ]
