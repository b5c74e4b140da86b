"""Running `make run` again keeps what people did with the demo: seeding creates what is
missing and never puts back what was edited, left or removed."""

import pytest
from django.core.management import call_command

from accounts.demo import demo_user
from anchors.models import Membership, Organisation, Pillar
from network.models import GroupMembership

pytestmark = pytest.mark.django_db


def test_seeding_again_keeps_every_edit_and_departure():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    northumbria = Organisation.objects.get(ods_code="RTF")
    northumbria.pledge = "Our own words now."
    northumbria.website = "https://example.org/northumbria"
    northumbria.description = "Edited by the admin."
    northumbria.email_domains = ["northumbria-healthcare.nhs.uk"]
    northumbria.save()
    northumbria.pillars.set([Pillar.objects.get(slug="environment")])

    member = demo_user("member")
    Membership.objects.filter(user=member, organisation=northumbria).update(
        status=Membership.Status.LEFT
    )
    GroupMembership.objects.filter(user=member).update(status=GroupMembership.Status.LEFT)
    member.full_name = "Sam O."
    member.save()

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115

    northumbria.refresh_from_db()
    assert northumbria.pledge == "Our own words now."
    assert northumbria.website == "https://example.org/northumbria"
    assert northumbria.description == "Edited by the admin."
    assert northumbria.email_domains == ["northumbria-healthcare.nhs.uk"]
    assert [p.slug for p in northumbria.pillars.all()] == ["environment"]
    assert not Membership.objects.active().filter(user=member, organisation=northumbria).exists()
    assert not GroupMembership.objects.filter(
        user=member, status=GroupMembership.Status.ACTIVE
    ).exists()
    member.refresh_from_db()
    assert member.full_name == "Sam O."
