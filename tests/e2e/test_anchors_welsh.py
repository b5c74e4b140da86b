"""The members' pages in Welsh through a real browser (axe-checked on every visit): the directory
with Welsh region and pillar names, asking to join (an empty reason answered in Welsh), and the
admin approving the request."""

from anchors.models import Membership
from tests.anchors.factories import OrganisationFactory, admin_of, pillar, region
from tests.e2e.conftest import sign_in
from tests.factories import UserFactory


def test_asking_to_join_and_approving_in_welsh(pages):
    trust = OrganisationFactory(
        name="Hywel Dda University Health Board", region=region("WLS"), pillars=[pillar("estates")]
    )
    admin = admin_of(trust)
    joiner = UserFactory(full_name="Ceri Jones")

    pages.goto("/cy/members/?region=wales")
    assert pages.page.get_attribute("html", "lang") == "cy"
    main = pages.page.inner_text("main")
    assert "Aelodau" in main and "Cymru" in main
    assert "Defnyddio adeiladau a mannau i gefnogi cymunedau" in main
    assert "Wales" not in main

    sign_in(pages, joiner.email)
    pages.goto(f"/cy/members/{trust.slug}/")
    pages.follow("text=Gofyn am gael bod yn aelod o Hywel Dda University Health Board")
    pages.submit()  # no reason given
    assert "Dywedwch pam rydych am ymuno" in pages.page.inner_text(".nhsuk-error-summary")
    pages.page.fill("textarea[name=reason]", "Rwy'n arwain ein gwaith caffael.")
    pages.submit()
    assert "Rydych wedi gofyn am gael bod yn aelod o Hywel Dda" in pages.page.inner_text("main")

    sign_in(pages, admin.email)
    pages.goto(f"/cy/members/{trust.slug}/requests/")
    assert "Rwy'n arwain ein gwaith caffael." in pages.page.inner_text("main")
    pages.submit('button:has-text("Cymeradwyo Ceri Jones")')
    assert "Nid oes neb yn aros i ymuno." in pages.page.inner_text("main")
    assert Membership.objects.active().filter(user=joiner, organisation=trust).exists()
    pages.goto(f"/cy/members/{trust.slug}/admins/")
    pages.goto(f"/cy/members/{trust.slug}/edit/")
    assert "Y colofnau y mae'n ymrwymo iddynt" in pages.page.inner_text("main")
