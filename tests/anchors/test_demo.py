import pytest

from accounts import demo as accounts_demo
from anchors import demo
from anchors.models import Membership, Organisation, is_admin_of, is_coordinator, lead_region_ids
from tests.anchors.factories import region

pytestmark = pytest.mark.django_db


def test_the_demo_puts_everyone_in_their_roles_and_is_safe_to_run_twice(client):
    accounts_demo.seed()
    demo.seed()
    counts = (Organisation.objects.count(), Membership.objects.count())
    demo.seed()
    assert (Organisation.objects.count(), Membership.objects.count()) == counts

    northumbria = Organisation.objects.get(ods_code="RTF")
    assert set(Organisation.objects.verified().values_list("ods_code", flat=True)) == {
        "RTF", "RBS", "RAL", "R1H", "RR8", "RXK", "7A3"
    }
    assert is_admin_of(accounts_demo.demo_user("admin"), northumbria.pk)
    assert Membership.objects.active().filter(user=accounts_demo.demo_user("member"), organisation=northumbria).exists()
    assert Membership.objects.requested().filter(organisation=northumbria).count() == 1
    assert lead_region_ids(accounts_demo.demo_user("lead")) == {region("Y63").pk}
    assert is_coordinator(accounts_demo.demo_user("coordinator"))
    awaiting = Organisation.objects.awaiting_verification_by(accounts_demo.demo_user("lead"))
    assert [o.ods_code for o in awaiting] == ["RHQ"]
    assert client.get("/members/").context["page_obj"].paginator.count == 7
