"""One learning group per region, so every member has a regional group from the start."""

from django.db import migrations


def load(apps, schema_editor):
    Region = apps.get_model("anchors", "Region")
    Group = apps.get_model("network", "Group")
    for region in Region.objects.all():
        Group.objects.get_or_create(
            region=region,
            defaults={
                "name": f"{region.name} anchor network",
                "slug": f"{region.slug}-anchor-network",
                "kind": "regional",
                "join_policy": "open",
                "description": (
                    f"Everyone working on anchor programmes in {region.name}: share what is "
                    "working, ask questions and hear about regional events."
                ),
            },
        )


class Migration(migrations.Migration):
    dependencies = [("network", "0001_initial"), ("anchors", "0002_reference_data")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
