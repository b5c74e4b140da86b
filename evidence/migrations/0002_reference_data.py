"""The standard measures and the self-assessment matrix the network starts with, and the admin
permissions that let coordinators edit them (and commitments) from then on.

Written for the network from its domain notes; coordinators reword and add to them in the admin.
`load` only adds what is missing, so a coordinator's later edits stay as they are.
"""

from django.db import migrations

# (pillar slug, slug, name, unit kind, which direction is better, definition)
MEASURES = [
    (
        "purchasing", "local-spend-share", "Share of non-pay spend with local suppliers", "percentage", "higher",
        "Non-pay spend paid to suppliers with a site or registered office in the organisation's local area "
        "(as the organisation defines it, usually its integrated care system), as a percentage of all non-pay "
        "spend in the year. Leave out pay, pensions and payments to other NHS bodies.",
    ),
    (
        "purchasing", "local-spend", "Non-pay spend with local suppliers", "money", "higher",
        "The amount in pounds behind the share above: non-pay spend in the year paid to suppliers based in the "
        "organisation's local area.",
    ),
    (
        "purchasing", "social-value-delivered", "Social value delivered through contracts", "money", "higher",
        "The value in pounds of the social value commitments suppliers delivered in the year (jobs, training, "
        "local spend, volunteering), as the organisation's contract managers recorded it. Count only what was "
        "delivered, not what was promised in a tender.",
    ),
    (
        "purchasing", "social-value-weighting", "Social value weighting in tenders", "percentage", "higher",
        "The weighting given to social value when scoring tenders, as a percentage of the total score. "
        "Where it varies, give the weighting used in most tenders in the year.",
    ),
    (
        "purchasing", "real-living-wage-suppliers", "Suppliers paying the Real Living Wage", "percentage", "higher",
        "Of the organisation's contracted suppliers of services delivered on its sites (cleaning, catering, "
        "security, portering and the like), the percentage who pay all their staff on those contracts at least "
        "the Real Living Wage set by the Living Wage Foundation.",
    ),
    (
        "workforce", "hires-most-deprived-areas", "People hired from the most deprived local areas", "count", "higher",
        "New starters in the year whose home postcode is in the most deprived 20% of neighbourhoods in England "
        "(or the nation's equivalent index), counted once each.",
    ),
    (
        "workforce", "hires-most-deprived-areas-share", "New hires from the most deprived local areas", "percentage",
        "higher",
        "The people counted above as a percentage of all new starters in the year.",
    ),
    (
        "workforce", "apprenticeship-starts", "Apprenticeship starts", "count", "higher",
        "People who started an apprenticeship with the organisation in the year, at any level, including "
        "existing staff who began one.",
    ),
    (
        "workforce", "people-supported-into-work", "People supported into work", "count", "higher",
        "People not employed by the organisation who, after its employment programmes (work placements, "
        "pre-employment courses, guaranteed interviews), started a job with it or anyone else in the year.",
    ),
    (
        "estates", "estate-community-use", "Estate opened to community use", "area", "higher",
        "Floor area, in square metres, of buildings and land the organisation made available in the year for "
        "use by local people and community groups free or below market rent.",
    ),
    (
        "environment", "carbon-saved", "Carbon saved", "tonnes_co2e", "higher",
        "Tonnes of carbon dioxide equivalent avoided in the year by the organisation's projects (energy, "
        "travel, anaesthetic gases, inhalers, waste), against what would have been emitted without them.",
    ),
    (
        "environment", "carbon-footprint", "Carbon emissions the organisation controls", "tonnes_co2e", "lower",
        "Tonnes of carbon dioxide equivalent emitted in the year from the organisation's own buildings, fleet "
        "and anaesthetic gases (scopes 1 and 2 of the NHS Carbon Footprint).",
    ),
    (
        "partnership", "grants-to-voluntary-sector", "Grants to local voluntary and community organisations",
        "money", "higher",
        "Money the organisation granted in the year to local voluntary, community and social enterprise "
        "organisations, directly or through a shared fund.",
    ),
    (
        "partnership", "staff-volunteering-hours", "Staff volunteering hours in the community", "count", "higher",
        "Hours the organisation's staff spent volunteering with local community organisations in the year "
        "under its volunteering leave policy.",
    ),
]

LEVEL_NAMES = ["Starting out", "Developing", "Established", "Leading", "Transforming"]

# pillar slug -> five statements, level 1 to 5.
STATEMENTS = {
    "purchasing": [
        "We know roughly what we spend but not where our suppliers are based.",
        "We track local spend and ask for social value in some larger tenders.",
        "Social value carries a set weighting in every tender, and we report local spend each year.",
        "We help local and small suppliers bid, and check that social value promised is delivered.",
        "We plan spend with partners across our area so that buying together grows the local economy.",
    ],
    "workforce": [
        "Our recruitment reaches people much as it always has.",
        "We run some work placements or apprenticeships for local people.",
        "We have programmes aimed at the most deprived local areas and track who they reach.",
        "Recruitment, training and progression are designed with our communities, and the results are reported to the board.",
        "We work with partners so that local people find a route into good work across the whole area.",
    ],
    "estates": [
        "Our buildings and land are used for our own services only.",
        "We lend rooms or space to community groups when asked.",
        "We have a policy for community use of our estate and publish what is available.",
        "Decisions on land and buildings weigh community benefit alongside cost.",
        "Our estate is planned with partners as a shared asset for the health of the community.",
    ],
    "environment": [
        "We meet our legal duties but have no plan of our own.",
        "We have a green plan and measure our main emissions.",
        "We report progress on the green plan each year and have cut emissions we control.",
        "Suppliers and staff take part in cutting emissions, and the board holds us to our targets.",
        "We lead work across our area on clean air, travel and climate resilience.",
    ],
    "partnership": [
        "We work with local partners project by project.",
        "We take part in local partnerships and share some information.",
        "We have agreed shared aims with councils, the voluntary sector and others, and act on them.",
        "We pool money, staff or data with partners to deliver those aims.",
        "Partners and communities shape our priorities as an equal part of how we decide.",
    ],
}

COORDINATORS_GROUP = "Coordinators"
# Reference data coordinators edit in the admin (view, add and change; never delete, so figures
# and signatures always keep their measure).
COORDINATOR_MODELS = [
    ("standardmeasure", "standard measure"),
    ("commitment", "commitment"),
    ("maturitylevel", "maturity level"),
]


def load(apps, schema_editor):
    """Add the seeded measures and levels that are missing, and let coordinators edit them."""
    Pillar = apps.get_model("anchors", "Pillar")
    StandardMeasure = apps.get_model("evidence", "StandardMeasure")
    MaturityLevel = apps.get_model("evidence", "MaturityLevel")
    pillars = {p.slug: p for p in Pillar.objects.all()}
    for position, (pillar, slug, name, kind, better, definition) in enumerate(MEASURES, start=1):
        if pillar in pillars:
            StandardMeasure.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": name, "unit_kind": kind, "better": better, "definition": definition,
                    "pillar": pillars[pillar], "position": position,
                },
            )
    for slug, statements in STATEMENTS.items():
        if slug not in pillars:
            continue
        for level, (name, statement) in enumerate(zip(LEVEL_NAMES, statements, strict=True), start=1):
            MaturityLevel.objects.get_or_create(
                pillar=pillars[slug], level=level, defaults={"name": name, "statement": statement}
            )
    grant_coordinators(apps)


def grant_coordinators(apps) -> None:
    """Django creates permissions only after every migration has run, so make these now; the
    group is created if need be, and appointing a coordinator adds them to it."""
    Group = apps.get_model("auth", "Group")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=COORDINATORS_GROUP)
    for model, verbose in COORDINATOR_MODELS:
        content_type, _ = ContentType.objects.get_or_create(app_label="evidence", model=model)
        for action in ("view", "add", "change"):
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type, codename=f"{action}_{model}", defaults={"name": f"Can {action} {verbose}"}
            )
            group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0001_initial"),
        ("anchors", "0006_shared_email_domains"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
