"""Demo members for `make run`: the example organisations, a pending registration, a pending
request to join, and the demo people in their roles.

Safe to run again, and it never undoes what people did with the demo: it creates what is
missing and leaves everything that exists alone (an edited pledge stays edited, a member who
left stays gone)."""

from __future__ import annotations

from pathlib import Path

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD, demo_user

from .models import (
    Coordinator,
    IntegratedCareBoard,
    Membership,
    Organisation,
    Pillar,
    Region,
    RegionalLead,
)
from .ods import import_ods
from .services import coordinators_group

SAMPLE_ODS_FILE = Path(__file__).parent / "data" / "etr_sample.csv"

EXTRA_ICBS = [
    ("QMF", "NHS North East London ICB", "Y56"),
    ("QWO", "NHS West Yorkshire ICB", "Y63"),
    ("QHL", "NHS Birmingham and Solihull ICB", "Y60"),
]

MEMBERS = {
    "RTF": {
        "website": "https://www.northumbria.nhs.uk",
        "email_domains": ["northumbria-healthcare.nhs.uk", "nhct.nhs.uk"],
        "pillars": ["purchasing", "workforce", "partnership"],
        "description": "Runs hospitals, community services and care across Northumberland and North Tyneside, and is one of the largest employers in the area.",
        "pledge": "We spend and recruit as close to home as we can. When gowns ran short in 2020 we started making our own locally, and we keep building supply chains and jobs in the North East rather than buying from far away.",
    },
    "RBS": {
        "website": "https://www.alderhey.nhs.uk",
        "email_domains": ["alderhey.nhs.uk"],
        "pillars": ["workforce", "estates", "environment"],
        "description": "A children's hospital and research centre in West Derby, Liverpool, serving families across the North West and beyond.",
        "pledge": "We open our park-side campus to the neighbourhood, offer first jobs and apprenticeships to young people from Liverpool, and cut the carbon our buildings use.",
    },
    "RAL": {
        "website": "https://www.royalfree.nhs.uk",
        # Its staff use nhs.net, which every NHS body shares, so people ask to join and an
        # admin decides.
        "email_domains": [],
        "pillars": ["purchasing", "environment"],
        "description": "Runs the Royal Free, Barnet and Chase Farm hospitals in north London.",
        "pledge": "We weight social value in our tenders and work with suppliers to cut emissions, so our spending also benefits north London.",
    },
    "R1H": {
        "website": "https://www.bartshealth.nhs.uk",
        "email_domains": ["bartshealth.nhs.uk"],
        "pillars": ["workforce", "partnership"],
        "description": "One of England's largest trusts, with hospitals across east London.",
        "pledge": "We recruit from the boroughs we serve, support local people into health careers, and plan with councils and the voluntary sector.",
    },
    "RR8": {
        "website": "https://www.leedsth.nhs.uk",
        "email_domains": ["leedsth.nhs.uk"],
        "pillars": ["workforce", "estates"],
        "description": "Runs St James's, Leeds General Infirmary and other hospitals in Leeds.",
        "pledge": "Our pre-employment programmes and apprenticeships reach people in the city's most deprived neighbourhoods first.",
    },
    "RXK": {
        "website": "https://www.swbh.nhs.uk",
        "email_domains": ["swbh.nhs.uk"],
        "pillars": ["purchasing", "estates", "workforce"],
        "description": "Runs hospitals and community services in Sandwell and west Birmingham, including the new Midland Metropolitan University Hospital.",
        "pledge": "We aim to spend a fixed share of our budget with local suppliers, and we turn spare buildings into homes and training for young people.",
    },
}

SWANSEA = {
    "ods_code": "7A3",
    "name": "Swansea Bay University Health Board",
    "slug": "swansea-bay-university-health-board",
    "type": Organisation.Type.HEALTH_BOARD,
    "postcode": "SA12 7BR",
    "website": "https://sbuhb.nhs.wales",
    # wales.nhs.uk is shared by every NHS Wales body, so it cannot admit anyone by itself.
    "email_domains": [],
    "pillars": ["environment", "partnership"],
    "description": "Plans and provides NHS care for Swansea and Neath Port Talbot.",
    "pledge": "We work with local councils and universities so that our spending, buildings and jobs strengthen the communities of Swansea Bay.",
}

EXTRA_PEOPLE = [
    ("registrant@example.org", "Amira Hussain", "Anchor programme manager, Sheffield Teaching Hospitals"),
    ("applicant@example.org", "Daniel Price", "Sustainability officer"),
]


def _person(email: str, full_name: str, job_title: str):
    User = get_user_model()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=full_name, job_title=job_title)
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
    return user


def _first_membership(user, organisation, **defaults) -> None:
    """The demo's membership, made once: a person who has since left or been removed, or whose
    request was declined, keeps that history instead of being put back."""
    if not Membership.objects.filter(user=user, organisation=organisation).exists():
        Membership.objects.create(user=user, organisation=organisation, **defaults)


def seed(stdout=None, options=None) -> None:
    coordinator = demo_user("coordinator")
    lead, admin, member = demo_user("lead"), demo_user("admin"), demo_user("member")
    now = timezone.now()

    for code, name, region_code in EXTRA_ICBS:
        IntegratedCareBoard.objects.get_or_create(
            code=code, defaults={"name": name, "region": Region.objects.get(code=region_code)}
        )
    result = import_ods(SAMPLE_ODS_FILE.read_bytes())

    pillars = {p.slug: p for p in Pillar.objects.all()}
    details = dict(MEMBERS)
    swansea = dict(SWANSEA)
    Organisation.objects.get_or_create(
        ods_code=swansea["ods_code"],
        defaults={
            "name": swansea["name"],
            "slug": swansea["slug"],
            "type": swansea["type"],
            "postcode": swansea["postcode"],
            "region": Region.objects.get(code="WLS"),
            "status": Organisation.Status.LISTED,
        },
    )
    details["7A3"] = swansea
    for code, fields in details.items():
        organisation = Organisation.objects.get(ods_code=code)
        if organisation.status == Organisation.Status.VERIFIED:
            continue  # already a member: its profile is its admins' to edit now
        organisation.status = Organisation.Status.VERIFIED
        organisation.registered_at = organisation.decided_at = now
        organisation.decided_by = coordinator
        for field in ("website", "email_domains", "description", "pledge"):
            setattr(organisation, field, fields[field])
        if code == "RTF":
            organisation.registered_by = admin
        organisation.save()
        organisation.pillars.set([pillars[slug] for slug in fields["pillars"] if slug in pillars])

    northumbria = Organisation.objects.get(ods_code="RTF")
    _first_membership(admin, northumbria, role=Membership.Role.ADMIN, status=Membership.Status.ACTIVE,
                     reason="Registered the organisation.", decided_by=coordinator, decided_at=now)
    _first_membership(member, northumbria, status=Membership.Status.ACTIVE,
                     reason="I buy goods and services for the trust.", decided_by=admin, decided_at=now)
    RegionalLead.objects.get_or_create(user=lead, region=Region.objects.get(code="Y63"), defaults={"appointed_by": coordinator})
    if not Coordinator.objects.filter(user=coordinator).exists():
        Coordinator.objects.create(user=coordinator, appointed_by=coordinator)
        coordinator.groups.add(coordinators_group())

    registrant = _person(*EXTRA_PEOPLE[0])
    sheffield = Organisation.objects.get(ods_code="RHQ")
    if sheffield.status == Organisation.Status.LISTED:
        sheffield.status = Organisation.Status.PENDING
        sheffield.registered_by = registrant
        sheffield.registered_at = now
        sheffield.description = "Runs the Northern General and Royal Hallamshire hospitals in Sheffield."
        sheffield.save()

    applicant = _person(*EXTRA_PEOPLE[1])
    _first_membership(applicant, northumbria, reason="I lead our green plan and would like to share what we learn.")

    if stdout is not None:
        stdout.write(
            f"Anchors: ODS sample {result.summary()}; {Organisation.objects.verified().count()} verified members; "
            f"pending registration {sheffield.name} ({registrant.email}); pending request from {applicant.email}."
        )
