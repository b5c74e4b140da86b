"""Demo case studies for `make run`, and synthetic ones in bulk for benchmarks.

The seven examples are real anchor work (see DOMAIN.md), told in our own words with their
figures as outcome measures. Safe to run again: an example whose slug exists is left alone.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone
from django.utils.text import slugify
from taggit.models import Tag, TaggedItem

import sitecache
from accounts.demo import DEMO_PASSWORD, demo_user
from anchors.models import Membership, Organisation, Pillar, Region

from .models import CaseStudy, OutcomeMeasure, Partner, Resource, Transition
from .search import forget_summaries
from .services import rendered_sections

S = CaseStudy.Status

EXTRA_ORGANISATIONS = {
    # ODS code: (name, type, region code)
    "RWK": ("East London NHS Foundation Trust", Organisation.Type.MENTAL_HEALTH_TRUST, "Y56"),
    "RQ8": ("Mid and South Essex NHS Foundation Trust", Organisation.Type.ACUTE_TRUST, "Y61"),
}

EXAMPLES = [
    {
        "ods": "RTF",
        "contact": "Karen Milburn, Head of Supply Chain",
        "status": S.PUBLISHED,
        "days_ago": 40,
        "title": "Making our own gowns when supplies ran out",
        "summary": (
            "When surgical gowns ran short in spring 2020, Northumbria Healthcare started making its own in "
            "Cramlington, then organised regional textile firms into a supply network that created local jobs."
        ),
        "pillars": ["purchasing", "workforce"],
        "tags": ["covid-19", "textiles", "local supply chains", "apprenticeships"],
        "period": "March 2020 to 2021",
        "context": (
            "In the first wave of COVID-19 the national supply of protective gowns could not keep up, and the "
            "trust faced running out.\n\nBuying abroad meant long, uncertain lead times and prices that rose by "
            "the week."
        ),
        "approach": (
            "The trust opened a gown-making hub of its own in **Cramlington** on 6 May 2020 with 18 machinists.\n\n"
            "It then brought together textile factories across the region, sharing patterns and quality checks so "
            "that each could produce to the same standard:\n\n"
            "- a single specification and inspection routine for every factory;\n"
            "- guaranteed orders so firms could take on staff;\n"
            "- a bigger site at Seaton Delaval once demand was proven."
        ),
        "outcomes": (
            "Gowns reached wards from a supply chain a few miles away rather than across the world, and money "
            "that would have gone overseas paid local wages. The work was recognised with national supply "
            "awards in 2021."
        ),
        "lessons": (
            "A trust's buying power can start an industry, not just purchase from one. Guaranteed volumes "
            "mattered more to suppliers than price."
        ),
        "next_steps": "Keep local textile capacity warm for future emergencies and extend it to other products.",
        "measures": [
            ("Gowns made each week at the first hub", 6000, "gowns", "May 2020", None),
            ("Machinists at the first hub", 18, "people", "May 2020", None),
            ("Regional textile factories in the network", 25, "factories", "2020", None),
            ("Peak weekly capacity across the network", 300000, "gowns", "2020", None),
            ("Gowns produced", 2000000, "gowns", "to late 2020", None),
            ("Jobs created at Seaton Delaval", 60, "jobs", "2020 to 2021", None),
            ("Apprenticeships at Seaton Delaval", 10, "apprenticeships", "2020 to 2021", None),
        ],
        "partners": ["UK Fashion and Textile Association"],
    },
    {
        "ods": "RBS",
        "contact": "Priya Shah, Head of Social Value",
        "status": S.PUBLISHED,
        "days_ago": 30,
        "title": "A whole system committing to social value",
        "summary": (
            "Health organisations across Cheshire and Merseyside agreed shared commitments on social value, "
            "anchor working and prevention, so that every trust pulls in the same direction."
        ),
        "pillars": ["partnership", "purchasing"],
        "tags": ["social value", "anchor charter", "prevention"],
        "period": "2018 to 2022",
        "context": "Each trust was doing some anchor work, but separately and measured in different ways.",
        "approach": (
            "The system became a social value accelerator site in 2018. It launched a **Social Value Charter** "
            "on 1 July 2019 and an **Anchor Framework** on 12 July 2022, and asked every trust to adopt a "
            "prevention pledge."
        ),
        "outcomes": "All 17 trusts in the system adopted the prevention pledge.",
        "lessons": "A shared charter gives smaller trusts cover to act and a common language for reporting.",
        "next_steps": "Report progress against the framework in a common format across the system.",
        "measures": [
            ("Trusts adopting the prevention pledge", 17, "trusts", "by 2022", None),
        ],
        "partners": [],
    },
    {
        "ods": "RXK",
        "contact": "Daniel Okafor, Estates Development Manager",
        "status": S.PUBLISHED,
        "days_ago": 20,
        "title": "Homes and apprenticeships for young people in former nurses' housing",
        "summary": (
            "Sandwell and West Birmingham worked with the St Basils charity to turn empty nurses' accommodation "
            "into homes for young people, each linked to an apprenticeship at the trust."
        ),
        "pillars": ["estates", "workforce", "purchasing"],
        "tags": ["housing", "young people", "apprenticeships", "local spend"],
        "period": "2017 to 2020",
        "context": (
            "Young people at risk of homelessness struggle to hold down training, and the trust had "
            "accommodation blocks standing empty."
        ),
        "approach": (
            "With St Basils the trust refurbished the former nurses' homes and offered residents apprenticeships "
            "in its own departments. Separately, the trust committed 2% of its annual budget to local suppliers."
        ),
        "outcomes": "Young people gained a stable home and a job at once; the scheme won national housing awards in 2018 and 2020.",
        "lessons": "Empty estate is an asset for the community when paired with a route into work.",
        "next_steps": "Extend the model to other unused buildings on the estate.",
        "measures": [
            ("Apprentice places linked to the homes", 27, "places", "first phase", None),
            ("Young people housed", 112, "people", "first phase", None),
            ("Share of annual budget committed to local suppliers", 2, "%", "each year", None),
            ("Estimated value to the local economy (upper estimate)", 8000000, "£ a year", "each year", None),
        ],
        "partners": ["St Basils"],
    },
    {
        "ods": "RWK",
        "contact": "Fatima Begum, Anchor Programme Manager",
        "status": S.PUBLISHED,
        "days_ago": 12,
        "title": "Jobs, fair pay and grants: an anchor approach across several fronts",
        "summary": (
            "East London NHS Foundation Trust recruited people who use its services, weighted its tenders "
            "towards social value, pushed suppliers towards the Real Living Wage and funded local groups."
        ),
        "pillars": ["workforce", "purchasing", "partnership"],
        "tags": ["real living wage", "social value", "lived experience", "grants"],
        "period": "2020 to 2022",
        "context": "The trust serves some of the most deprived boroughs in England.",
        "approach": (
            "It set a 15% social-value weighting in procurement, asked suppliers about pay, supported people "
            "who use its services into jobs, and opened a grants fund for voluntary and community organisations."
        ),
        "outcomes": "Suppliers paying the Real Living Wage nearly tripled in two years.",
        "lessons": "Asking suppliers the question, every time, moves practice.",
        "next_steps": "Raise the share of suppliers paying the Real Living Wage further.",
        "measures": [
            ("People who use services recruited into jobs", 112, "people", "two years", None),
            ("Social-value weighting in tenders", 15, "%", "from 2020", None),
            ("Suppliers paying the Real Living Wage", 61, "%", "2022", 22),
            ("Grants fund for voluntary and community organisations", 1800000, "£", "2020 to 2022", None),
        ],
        "partners": [],
    },
    {
        "ods": "RQ8",
        "contact": "Gemma Hollis, Employment Partnerships Lead",
        "status": S.PUBLISHED,
        "days_ago": 6,
        "title": "Anchor Ambition: helping people into work",
        "summary": "Mid and South Essex's Anchor Ambition programme helped hundreds of local people towards work in its first year.",
        "pillars": ["workforce"],
        "tags": ["employment", "anchor ambition"],
        "period": "First year",
        "context": "Many local people were far from work and unaware of NHS and partner jobs.",
        "approach": "Partners offered coaching, placements and routes into roles across the system.",
        "outcomes": "Hundreds were supported and well over a hundred found work.",
        "lessons": "Joint recruitment across partners reaches more people than each alone.",
        "next_steps": "Grow the number of employers taking part.",
        "measures": [
            ("People helped", 625, "people", "first year", None),
            ("People into work", 166, "people", "first year", None),
        ],
        "partners": [],
    },
    {
        "ods": "RR8",
        "contact": "Tom Whitaker, Widening Participation Manager",
        "status": S.SUBMITTED,
        "days_ago": 2,
        "title": "Pre-employment programmes for Leeds' most deprived neighbourhoods",
        "summary": (
            "Leeds Teaching Hospitals runs a six-week pre-employment programme and outreach aimed at the city's "
            "most deprived neighbourhoods, and has grown its apprenticeships."
        ),
        "pillars": ["workforce"],
        "tags": ["employment", "apprenticeships", "deprivation"],
        "period": "2022 to 2023",
        "context": "Few hospital staff came from the neighbourhoods nearest the hospitals.",
        "approach": "A six-week programme prepares local people for interview and first jobs, with outreach in the most deprived 1% of neighbourhoods.",
        "outcomes": "Apprenticeships rose by half in a year.",
        "lessons": "Go to where people are; do not wait for them to apply.",
        "next_steps": "Track how many stay in work after a year.",
        "measures": [
            ("Pre-employment programme length", 6, "weeks", "", None),
            ("Growth in apprenticeships", 51, "%", "year on year", None),
        ],
        "partners": [],
    },
    {
        "ods": "R1H",
        "contact": "Yusuf Rahman, Community Health Engagement Lead",
        "status": S.CHANGES_REQUESTED,
        "days_ago": 4,
        "title": "Vaccination in places of worship during Ramadan",
        "summary": (
            "During Ramadan 2021 places of worship hosted COVID-19 vaccination sessions to reach communities "
            "where uptake was lower."
        ),
        "pillars": ["partnership"],
        "tags": ["covid-19", "vaccination", "faith groups"],
        "period": "April to May 2021",
        "context": "Vaccine uptake was lower in some communities, and clinics felt distant and unfamiliar.",
        "approach": "Faith leaders offered their buildings as vaccination centres at times that suited people fasting.",
        "outcomes": "",
        "lessons": "Trusted places and trusted voices matter as much as opening hours.",
        "next_steps": "",
        "measures": [],
        "partners": [],
        "comment": "Thank you. Please add the outcomes: how many doses were given, and any change in uptake.",
    },
]


def _old_contact_name(organisation: Organisation) -> str:
    """What earlier seeds put as the contact: the author account's placeholder name, which
    read "email your question to Case study author, <trust> at <trust>"."""
    return f"Case study author, {organisation.name}"[:150]


def _refresh_contact(slug: str, contact: str) -> int:
    """Give an example seeded before it had a contact person that person's name, unless someone
    has changed the contact since (then their edit stays)."""
    case_study = CaseStudy.objects.filter(slug=slug).select_related("organisation").first()
    if case_study is None or case_study.contact_name != _old_contact_name(case_study.organisation):
        return 0
    return CaseStudy.objects.filter(pk=case_study.pk, contact_name=case_study.contact_name).update(
        contact_name=contact
    )


def _author(organisation: Organisation):
    """A demo author for an organisation (an active member), created once."""
    User = get_user_model()
    email = f"author-{organisation.ods_code.lower()}@example.org"
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=DEMO_PASSWORD, full_name=f"Case study author, {organisation.name}"[:150],
            job_title="Anchor programme lead",
        )
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    if not Membership.objects.active().filter(user=user, organisation=organisation).exists():
        Membership.objects.create(user=user, organisation=organisation, status=Membership.Status.ACTIVE,
                                  reason="Writes our case studies.")
    return user


def _organisation(ods: str, coordinator) -> Organisation:
    organisation = Organisation.objects.filter(ods_code=ods).first()
    if organisation is None and ods in EXTRA_ORGANISATIONS:
        name, kind, region_code = EXTRA_ORGANISATIONS[ods]
        organisation = Organisation.objects.create(
            name=name, slug=slugify(name), ods_code=ods, type=kind, region=Region.objects.get(code=region_code),
            status=Organisation.Status.VERIFIED, registered_at=timezone.now(), decided_by=coordinator,
            decided_at=timezone.now(),
        )
    if organisation.status != Organisation.Status.VERIFIED:
        # Listed by the ODS import but not yet registered: the demo needs it as a member.
        organisation.status = Organisation.Status.VERIFIED
        organisation.registered_at = organisation.decided_at = timezone.now()
        organisation.decided_by = coordinator
        organisation.save(update_fields=["status", "registered_at", "decided_at", "decided_by"])
    return organisation


def seed(stdout=None, options=None) -> None:
    options = options or {}
    coordinator, lead = demo_user("coordinator"), demo_user("lead")
    pillars = {p.slug: p for p in Pillar.objects.all()}
    now = timezone.now()
    added = refreshed = 0
    for example in EXAMPLES:
        slug = slugify(example["title"])
        if CaseStudy.objects.filter(slug=slug).exists():
            refreshed += _refresh_contact(slug, example["contact"])
            continue
        organisation = _organisation(example["ods"], coordinator)
        author = _author(organisation)
        created = now - timedelta(days=example["days_ago"] + 3)
        submitted = now - timedelta(days=example["days_ago"] + 1)
        decided = now - timedelta(days=example["days_ago"])
        status = example["status"]
        case_study = CaseStudy.objects.create(
            organisation=organisation, slug=slug, title=example["title"], summary=example["summary"],
            context=example["context"], approach=example["approach"], outcomes=example["outcomes"],
            lessons=example["lessons"], next_steps=example["next_steps"], period=example["period"],
            contact_name=example["contact"], contact_email=author.email, status=status, created_by=author,
            submitted_at=submitted if status != S.DRAFT else None,
            published_at=decided if status == S.PUBLISHED else None,
            **{f"{name}_html": html for name, html in rendered_sections(example).items()},
        )
        case_study.pillars.set([pillars[s] for s in example["pillars"] if s in pillars])
        case_study.tags.set(example["tags"])
        OutcomeMeasure.objects.bulk_create(
            OutcomeMeasure(case_study=case_study, position=i, measure=m, value=Decimal(v), unit=u, period=p,
                           baseline=None if b is None else Decimal(b))
            for i, (m, v, u, p, b) in enumerate(example["measures"])
        )
        Partner.objects.bulk_create(Partner(case_study=case_study, name=n) for n in example["partners"])
        moderator = lead if organisation.region.code == "Y63" else coordinator
        steps = [("created", "", S.DRAFT, author, created, ""),
                 ("submitted", S.DRAFT, S.SUBMITTED, author, submitted, "")]
        if status == S.PUBLISHED:
            steps.append(("published", S.SUBMITTED, S.PUBLISHED, moderator, decided, ""))
        elif status == S.CHANGES_REQUESTED:
            steps.append(("changes_requested", S.SUBMITTED, S.CHANGES_REQUESTED, moderator, decided, example["comment"]))
        Transition.objects.bulk_create(
            Transition(case_study=case_study, action=a, from_status=f, to_status=t, by=by, at=at, comment=c)
            for a, f, t, by, at, c in steps
        )
        added += 1
    resources_added = seed_resources(coordinator=coordinator, lead=lead, pillars=pillars, now=now)
    synthetic = int(options.get("case_studies") or 0)
    if synthetic:
        load_synthetic(synthetic, stdout=stdout)
    if refreshed:
        sitecache.content_changed()  # cached case-study pages still show the old contact
    forget_summaries()
    if stdout is not None:
        stdout.write(
            f"Case studies: {added} examples added; {CaseStudy.objects.published().count()} published; "
            f"one awaits {lead.email} at /case-studies/moderation/."
        )
        stdout.write(
            f"Resources: {resources_added} added; {Resource.objects.published().count()} published in /resources/; "
            f"one suggestion awaits {lead.email}."
        )


# --- The resource library ----------------------------------------------------------------------

# Links go to the home pages of the organisations named, never to made-up pages inside them.
K = Resource.Kind
RESOURCES = [
    {
        "ods": "RBS", "kind": K.TOOLKIT, "days_ago": 30, "date": "2022-07-12",
        "title": "Social value in procurement: a toolkit for trusts",
        "summary": (
            "Questions to add to tenders, a scoring grid that weights local jobs and spending, and a plan for "
            "checking what suppliers promised. Drawn from a system that has run a social value charter since 2019."
        ),
        "pillars": ["purchasing", "partnership"], "tags": ["social value", "procurement", "tenders"],
        "partner": "NHS Cheshire and Merseyside", "url": "https://www.cheshireandmerseyside.nhs.uk/",
    },
    {
        "ods": "RTF", "kind": K.GUIDE, "days_ago": 26, "date": "2024-01-15",
        "title": "Anchor self-assessment: where does your organisation stand?",
        "summary": (
            "A short guide for a board development session: five pillars, a handful of honest questions for each, "
            "and how to pick the two or three things to start on first."
        ),
        "pillars": ["purchasing", "workforce", "estates", "environment", "partnership"],
        "tags": ["self-assessment", "boards", "getting started"], "url": "https://www.northumbria.nhs.uk/",
    },
    {
        "ods": "RR8", "kind": K.TEMPLATE, "days_ago": 22, "date": "2023-09-04",
        "title": "Local recruitment: six-week pre-employment programme timetable",
        "summary": (
            "A week-by-week template for a pre-employment course for local people: taster days on wards, help "
            "with applications, a guaranteed interview at the end. Adapt the weeks to the roles you recruit."
        ),
        "pillars": ["workforce"], "tags": ["employment", "local recruitment", "apprenticeships"],
        "url": "https://www.leedsth.nhs.uk/",
    },
    {
        "ods": "RWK", "kind": K.REPORT, "days_ago": 20, "date": None,
        "title": "Building healthier communities: the NHS as an anchor institution",
        "summary": (
            "The report that set out the five ways the NHS can use its weight as an employer, buyer and landowner "
            "to improve health locally. The starting point for many of the network's members."
        ),
        "pillars": ["purchasing", "workforce", "estates", "environment", "partnership"],
        "tags": ["evidence", "getting started"], "partner": "The Health Foundation",
        "url": "https://www.health.org.uk/",
    },
    {
        "ods": "RXK", "kind": K.EVENT_RECORDING, "days_ago": 17, "date": "2024-05-21",
        "title": "Recording: from nurses' homes to homes for young apprentices",
        "summary": (
            "A recorded network session with the trust and its housing charity partner on turning empty "
            "accommodation into homes for young people who then train with the trust."
        ),
        "pillars": ["estates", "workforce"], "tags": ["housing", "apprenticeships", "young people"],
        "partner": "St Basils", "url": "https://stbasils.org.uk/",
    },
    {
        "ods": "RWK", "kind": K.TOOLKIT, "days_ago": 14, "date": "2023-03-01",
        "title": "Talking to suppliers about the Real Living Wage",
        "summary": (
            "Letters, meeting notes and a contract clause for asking suppliers to pay the Real Living Wage, from "
            "a trust that saw the share of its suppliers paying it rise from about a fifth to three fifths."
        ),
        "pillars": ["purchasing", "workforce"], "tags": ["real living wage", "suppliers", "contracts"],
        "partner": "Living Wage Foundation", "url": "https://www.livingwage.org.uk/",
    },
    {
        "ods": "RXK", "kind": K.GUIDE, "days_ago": 11, "date": "2022-11-10",
        "title": "Setting a local spending target and keeping to it",
        "summary": (
            "How one trust committed a share of its yearly budget to local suppliers: agreeing the target with the "
            "board, defining 'local', and the monthly report that shows whether it is on track."
        ),
        "pillars": ["purchasing"], "tags": ["local spend", "procurement"], "url": "https://www.swbh.nhs.uk/",
    },
    {
        "ods": "RWK", "kind": K.TEMPLATE, "days_ago": 8, "date": "2023-06-30",
        "title": "Community grants fund: application form and scoring sheet",
        "summary": (
            "The forms a trust uses to give grants to voluntary and community groups: a two-page application, "
            "a scoring sheet for the panel, and the short report each group sends back."
        ),
        "pillars": ["partnership"], "tags": ["grants", "voluntary sector"], "url": "https://www.elft.nhs.uk/",
    },
    {
        # Written in Welsh by a Welsh health board: its pages mark the text lang="cy".
        "ods": "7A3", "kind": K.GUIDE, "days_ago": 9, "date": "2024-02-01", "language": "cy",
        "title": "Prynu'n lleol: canllaw i fyrddau iechyd yng Nghymru",
        "summary": (
            "Sut i bennu faint o'ch gwariant sy'n aros yn yr ardal leol, gosod targed gyda'r bwrdd, a gweithio "
            "gyda chyflenwyr bach a mentrau cymdeithasol. Yn seiliedig ar waith gyda chynghorau lleol a phrifysgolion."
        ),
        "pillars": ["purchasing", "partnership"], "tags": ["local spend", "procurement"],
        "url": "https://sbuhb.nhs.wales/",
    },
    {
        "ods": "RTF", "kind": K.REPORT, "days_ago": 5, "date": "2021-06-01",
        "title": "Making gowns in the region: what a local textile network taught us",
        "summary": (
            "A look back at building a supply network of regional textile firms in a crisis: what made firms "
            "join, how quality was kept the same everywhere, and what it meant for local jobs."
        ),
        "pillars": ["purchasing", "workforce"], "tags": ["local supply chains", "textiles", "covid-19"],
        "partner": "UK Fashion and Textile Association", "url": "https://www.ukft.org/",
    },
    {
        "ods": "R1H", "kind": K.EVENT_RECORDING, "days_ago": 2, "date": "2024-10-08",
        "title": "Recording: cutting carbon in an older hospital estate",
        "summary": (
            "A recorded lunchtime talk from an estates team on where the carbon in old buildings comes from and "
            "the changes that paid back fastest: heating controls, lighting and staff travel."
        ),
        "pillars": ["environment", "estates"], "tags": ["net zero", "estates", "energy"],
        "url": "https://www.bartshealth.nhs.uk/",
    },
    {
        "ods": "RR8", "kind": K.TEMPLATE, "days_ago": 1, "date": "2024-09-02", "status": S.SUBMITTED,
        "title": "Letter to schools: apprenticeships at your local hospital",
        "summary": (
            "A letter and a one-page leaflet for head teachers in the neighbourhoods around a hospital, inviting "
            "pupils to open days about apprenticeships."
        ),
        "pillars": ["workforce"], "tags": ["apprenticeships", "schools", "outreach"],
        "url": "https://www.leedsth.nhs.uk/",
    },
]


def seed_resources(*, coordinator, lead, pillars: dict, now) -> int:
    """The example resources that are missing: eleven published across kinds (one in Welsh), and
    one suggestion waiting for the demo lead."""
    from datetime import date

    added = 0
    for example in RESOURCES:
        slug = slugify(example["title"])
        if Resource.objects.filter(slug=slug).exists():
            continue
        organisation = _organisation(example["ods"], coordinator)
        author = _author(organisation)
        status = example.get("status", S.PUBLISHED)
        submitted = now - timedelta(days=example["days_ago"] + 1)
        decided = now - timedelta(days=example["days_ago"])
        resource = Resource.objects.create(
            organisation=organisation, slug=slug, kind=example["kind"], title=example["title"],
            summary=example["summary"], url=example["url"], partner_name=example.get("partner", ""),
            language=example.get("language", "en-gb"),
            date=date.fromisoformat(example["date"]) if example["date"] else None,
            status=status, suggested_by=author, submitted_at=submitted,
            published_at=decided if status == S.PUBLISHED else None,
        )
        resource.pillars.set([pillars[s] for s in example["pillars"] if s in pillars])
        resource.tags.set(example["tags"])
        moderator = lead if organisation.region.code == "Y63" else coordinator
        steps = [("suggested", "", S.DRAFT, author, submitted, ""),
                 ("submitted", S.DRAFT, S.SUBMITTED, author, submitted, "")]
        if status == S.PUBLISHED:
            steps.append(("published", S.SUBMITTED, S.PUBLISHED, moderator, decided, ""))
        Transition.objects.bulk_create(
            Transition(resource=resource, action=a, from_status=f, to_status=t, by=by, at=at, comment=c)
            for a, f, t, by, at, c in steps
        )
        added += 1
    return added


# --- Synthetic case studies for benchmarks -----------------------------------------------------

WORDS = ["local", "suppliers", "procurement", "spend", "apprenticeships", "recruitment", "training", "estates", "buildings", "carbon", "energy", "travel", "food", "waste", "housing", "employment", "wages", "volunteers", "schools", "colleges", "councils", "charities", "health", "inequalities", "prevention", "outreach", "partnership", "contracts", "tenders", "catering", "laundry", "transport", "solar", "heating", "retrofit", "gardens", "green", "space", "pathways", "careers", "mentoring", "coaching", "placements"]
TAGS = [
    "social value", "real living wage", "apprenticeships", "net zero", "local spend", "employment",
    "housing", "young people", "volunteering", "food", "travel", "estates", "prevention", "covid-19",
    "procurement", "community wealth building", "green space", "digital inclusion", "skills", "carers",
]
COMMON_TERM = "community"  # in about 40% of synthetic case studies
RARE_TERM = "marmalade"  # in about one in 10,000


def _synthetic_organisations() -> list[Organisation]:
    """Enough verified organisations to spread case studies over every region and type."""
    organisations = list(Organisation.objects.verified())
    if len(organisations) >= 40:
        return organisations
    regions = list(Region.objects.all())
    kinds = [k for k, _label in Organisation.Type.choices]
    for i in range(40):
        name = f"Synthetic Anchor Organisation {i + 1:02d}"
        organisation, _ = Organisation.objects.get_or_create(
            slug=slugify(name),
            defaults={"name": name, "type": kinds[i % len(kinds)], "region": regions[i % len(regions)],
                      "status": Organisation.Status.VERIFIED, "registered_at": timezone.now()},
        )
        organisations.append(organisation)
    return organisations


def load_synthetic(count: int, *, stdout=None, batch: int = 5000) -> None:
    """Add `count` published case studies fast: bulk inserts for rows, pillars and tags.

    The search vector is a generated column, so the database fills it in for these rows too."""
    rng = random.Random(count)  # noqa: S311 - demo data, not security
    organisations = _synthetic_organisations()
    pillar_ids = list(Pillar.objects.values_list("pk", flat=True))
    tags = [Tag.objects.get_or_create(name=name, defaults={"slug": slugify(name)})[0] for name in TAGS]
    content_type = ContentType.objects.get_for_model(CaseStudy)
    start = CaseStudy.objects.count()
    now = timezone.now()
    through = CaseStudy.pillars.through

    def paragraph(n: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."

    done = 0
    while done < count:
        size = min(batch, count - done)
        rows = []
        for i in range(size):
            n = start + done + i
            extra = []
            if rng.random() < 0.4:
                extra.append(COMMON_TERM)
            if rng.random() < 0.0001:
                extra.append(RARE_TERM)
            title = f"{paragraph(4)[:-1]} {n}"
            sections = {
                "context": paragraph(60), "approach": paragraph(60) + " " + " ".join(extra),
                "outcomes": paragraph(40), "lessons": paragraph(30), "next_steps": paragraph(20),
            }
            rows.append(CaseStudy(
                organisation=rng.choice(organisations), slug=f"synthetic-{n}", title=title,
                summary=paragraph(25), **sections,
                **{f"{name}_html": html for name, html in rendered_sections(sections).items()},
                status=S.PUBLISHED, published_at=now - timedelta(minutes=n), submitted_at=now - timedelta(minutes=n),
            ))
        created = CaseStudy.objects.bulk_create(rows, batch_size=1000)
        links, tagged = [], []
        for cs in created:
            for pillar_id in rng.sample(pillar_ids, k=rng.choice((1, 1, 2, 3))):
                links.append(through(casestudy_id=cs.pk, pillar_id=pillar_id))
            for tag in rng.sample(tags, k=rng.choice((1, 2, 3))):
                tagged.append(TaggedItem(tag=tag, content_type=content_type, object_id=cs.pk))
        through.objects.bulk_create(links, batch_size=5000)
        TaggedItem.objects.bulk_create(tagged, batch_size=5000)
        done += size
        if stdout is not None and (done % 20000 == 0 or done == count):
            stdout.write(f"  synthetic case studies: {done}/{count}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("casestudies_casestudy", "casestudies_casestudy_pillars", "taggit_taggeditem"):
                cursor.execute(f"ANALYZE {table}")
    forget_summaries()
