from django.db import migrations

COORDINATORS_GROUP = "Coordinators"
# Coordinators review questions and misuse reports in the admin: view both, and change a report
# (mark it reviewed, add notes). Nobody adds or deletes them there.
PERMISSIONS = [
    ("question", "question", ["view"]),
    ("misusereport", "misuse report", ["view", "change"]),
]


def grant_coordinators(apps, schema_editor):
    """Django creates permissions only after every migration has run, so make these now."""
    Group = apps.get_model("auth", "Group")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=COORDINATORS_GROUP)
    for model, verbose, actions in PERMISSIONS:
        content_type, _ = ContentType.objects.get_or_create(app_label="questions", model=model)
        for action in actions:
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type, codename=f"{action}_{model}", defaults={"name": f"Can {action} {verbose}"}
            )
            group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("questions", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_coordinators, migrations.RunPython.noop)]
