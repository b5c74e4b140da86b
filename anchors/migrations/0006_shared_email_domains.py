"""Seed the email domains many organisations share, and let coordinators already appointed
keep the list in the admin (new appointments get the permissions from `coordinators_group`)."""

from django.db import migrations

SHARED_EMAIL_DOMAINS = [
    # NHS and government domains every body in a nation shares.
    ("nhs.net", "NHSmail: most NHS England staff"),
    ("nhs.uk", "NHS England parent domain"),
    ("nhs.scot", "NHS Scotland: every board"),
    ("wales.nhs.uk", "NHS Wales: every body"),
    ("hscni.net", "Health and social care in Northern Ireland"),
    ("gov.uk", "UK government parent domain"),
    ("gov.wales", "Welsh Government"),
    ("gov.scot", "Scottish Government"),
    ("doctors.org.uk", "BMA members' personal addresses"),
    # Consumer mail services: anyone can open an address.
    ("gmail.com", "Google"),
    ("googlemail.com", "Google"),
    ("outlook.com", "Microsoft"),
    ("hotmail.com", "Microsoft"),
    ("hotmail.co.uk", "Microsoft"),
    ("live.com", "Microsoft"),
    ("live.co.uk", "Microsoft"),
    ("msn.com", "Microsoft"),
    ("yahoo.com", "Yahoo"),
    ("yahoo.co.uk", "Yahoo"),
    ("ymail.com", "Yahoo"),
    ("icloud.com", "Apple"),
    ("me.com", "Apple"),
    ("mac.com", "Apple"),
    ("aol.com", "AOL"),
    ("aol.co.uk", "AOL"),
    ("btinternet.com", "BT"),
    ("sky.com", "Sky"),
    ("talktalk.net", "TalkTalk"),
    ("virginmedia.com", "Virgin Media"),
    ("ntlworld.com", "Virgin Media"),
    ("blueyonder.co.uk", "Virgin Media"),
    ("tiscali.co.uk", "Tiscali"),
    ("proton.me", "Proton"),
    ("protonmail.com", "Proton"),
    ("pm.me", "Proton"),
    ("gmx.com", "GMX"),
    ("gmx.co.uk", "GMX"),
    ("mail.com", "mail.com"),
    ("zoho.com", "Zoho"),
    ("fastmail.com", "Fastmail"),
    ("yandex.com", "Yandex"),
]

PERMISSIONS = [
    ("add", "Can add shared email domain"),
    ("change", "Can change shared email domain"),
    ("delete", "Can delete shared email domain"),
    ("view", "Can view shared email domain"),
]


def load(apps, schema_editor):
    """Add the seeded domains that are missing; a coordinator's later edits stay as they are."""
    SharedEmailDomain = apps.get_model("anchors", "SharedEmailDomain")
    for domain, note in SHARED_EMAIL_DOMAINS:
        SharedEmailDomain.objects.get_or_create(domain=domain, defaults={"note": note})


def grant_coordinators(apps, schema_editor):
    """Django creates permissions only after every migration has run, so make these now for the
    coordinators appointed before the list existed."""
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name="Coordinators").first()
    if group is None:
        return
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="anchors", model="sharedemaildomain")
    for action, name in PERMISSIONS:
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=f"{action}_sharedemaildomain", defaults={"name": name}
        )
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("anchors", "0005_membership_history_and_shared_domains"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
        migrations.RunPython(grant_coordinators, migrations.RunPython.noop),
    ]
