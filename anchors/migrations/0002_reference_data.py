"""The network's reference data: its regions, pillars and some integrated care boards.

Facts from the network's domain notes; coordinators edit them afterwards in the admin.
"""

from django.db import migrations

REGIONS = [
    ("Y56", "London", "london"),
    ("Y58", "South West", "south-west"),
    ("Y59", "South East", "south-east"),
    ("Y60", "Midlands", "midlands"),
    ("Y61", "East of England", "east-of-england"),
    ("Y62", "North West", "north-west"),
    ("Y63", "North East and Yorkshire", "north-east-and-yorkshire"),
    ("SCT", "Scotland", "scotland"),
    ("WLS", "Wales", "wales"),
    ("NIR", "Northern Ireland", "northern-ireland"),
]

PILLARS = [
    (
        "purchasing",
        "Purchasing locally and for social benefit",
        "Buying goods and services from local suppliers and weighting contracts for social value.",
    ),
    (
        "workforce",
        "Widening access to quality work",
        "Recruiting, training and keeping people from the communities the organisation serves.",
    ),
    (
        "estates",
        "Using buildings and spaces to support communities",
        "Putting land, buildings and spare space to use for local people and groups.",
    ),
    (
        "environment",
        "Reducing environmental impact",
        "Cutting carbon, waste and pollution from the organisation's own activity.",
    ),
    (
        "partnership",
        "Working more closely with local partners",
        "Acting together with councils, universities, charities and others across a place.",
    ),
]

ICBS = [
    ("QHM", "NHS North East and North Cumbria ICB", "Y63"),
    ("QF7", "NHS South Yorkshire ICB", "Y63"),
    ("QYG", "NHS Cheshire and Merseyside ICB", "Y62"),
    ("QE1", "NHS Lancashire and South Cumbria ICB", "Y62"),
    ("QOP", "NHS Greater Manchester ICB", "Y62"),
    ("QMJ", "NHS North Central London ICB", "Y56"),
]


def load(apps, schema_editor):
    Region = apps.get_model("anchors", "Region")
    Pillar = apps.get_model("anchors", "Pillar")
    IntegratedCareBoard = apps.get_model("anchors", "IntegratedCareBoard")
    for code, name, slug in REGIONS:
        Region.objects.update_or_create(code=code, defaults={"name": name, "slug": slug})
    for position, (slug, name, description) in enumerate(PILLARS, start=1):
        Pillar.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )
    for code, name, region_code in ICBS:
        IntegratedCareBoard.objects.update_or_create(
            code=code, defaults={"name": name, "region": Region.objects.get(code=region_code)}
        )


class Migration(migrations.Migration):
    dependencies = [("anchors", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
