"""Store each section's sanitised HTML beside its Markdown, and render it for existing rows."""

from django.db import migrations, models

SECTION_FIELDS = ("context", "approach", "outcomes", "lessons", "next_steps")


def render_existing(apps, schema_editor):
    # The renderer of today: bounded for any text, so no row can stop the migration.
    from casestudies.markdown import render_markdown

    CaseStudy = apps.get_model("casestudies", "CaseStudy")
    Revision = apps.get_model("casestudies", "Revision")
    html_fields = [f"{name}_html" for name in SECTION_FIELDS]
    batch = []
    for case_study in CaseStudy.objects.only("pk", *SECTION_FIELDS).iterator(chunk_size=500):
        for name in SECTION_FIELDS:
            setattr(case_study, f"{name}_html", str(render_markdown(getattr(case_study, name))))
        batch.append(case_study)
        if len(batch) == 500:
            CaseStudy.objects.bulk_update(batch, html_fields)
            batch = []
    if batch:
        CaseStudy.objects.bulk_update(batch, html_fields)
    for revision in Revision.objects.only("pk", "content").iterator(chunk_size=500):
        content = revision.content or {}
        revision.content_html = {
            name: str(render_markdown(content.get(name) or "")) for name in SECTION_FIELDS
        }
        revision.save(update_fields=["content_html"])


class Migration(migrations.Migration):
    dependencies = [("casestudies", "0002_published_covering_index")]

    operations = [
        *(
            migrations.AddField(
                model_name="casestudy",
                name=f"{name}_html",
                field=models.TextField(blank=True, editable=False),
            )
            for name in SECTION_FIELDS
        ),
        migrations.AddField(
            model_name="revision",
            name="content_html",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        migrations.RunPython(render_existing, migrations.RunPython.noop),
    ]
