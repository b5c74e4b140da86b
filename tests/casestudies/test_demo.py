import pytest

from accounts import demo as accounts_demo
from accounts.demo import demo_user
from anchors import demo as anchors_demo
from casestudies import demo
from casestudies.models import CaseStudy
from casestudies.search import Filters, search

pytestmark = pytest.mark.django_db


def test_seed_loads_the_seven_examples_across_states_once():
    for step in (accounts_demo.seed, anchors_demo.seed, demo.seed, demo.seed):
        step()
    assert CaseStudy.objects.count() == 7
    assert CaseStudy.objects.published().count() == 5
    waiting = CaseStudy.objects.awaiting_moderation_by(demo_user("lead"))
    assert [cs.organisation.ods_code for cs in waiting] == ["RR8"]
    changes = CaseStudy.objects.get(status=CaseStudy.Status.CHANGES_REQUESTED)
    assert changes.transitions.last().comment
    gowns = CaseStudy.objects.get(slug="making-our-own-gowns-when-supplies-ran-out")
    assert gowns.measures.count() == 7 and gowns.organisation.ods_code == "RTF"


def test_synthetic_case_studies_are_published_tagged_and_searchable():
    for step in (accounts_demo.seed, anchors_demo.seed):
        step()
    demo.load_synthetic(50)
    assert CaseStudy.objects.published().count() == 50
    assert all(cs.pillars.exists() and cs.tags.exists() for cs in CaseStudy.objects.all()[:5])
    results = search(Filters(q=demo.COMMON_TERM), 1)
    assert results.case_studies and results.page.paginator.count == CaseStudy.objects.filter(
        approach__contains=demo.COMMON_TERM
    ).count()


def test_demo_case_studies_carry_their_html_rendered_once():
    accounts_demo.seed()
    anchors_demo.seed()
    demo.seed()
    demo.load_synthetic(3)
    assert CaseStudy.objects.exists()
    assert not CaseStudy.objects.exclude(context="").filter(context_html="").exists()
    assert not CaseStudy.objects.exclude(approach="").filter(approach_html="").exists()


def _seed_all():
    for step in (accounts_demo.seed, anchors_demo.seed, demo.seed):
        step()


def test_demo_contacts_are_people_not_the_organisation():
    _seed_all()
    for case_study in CaseStudy.objects.select_related("organisation"):
        name, _comma, role = case_study.contact_name.partition(", ")
        assert name and role, case_study.contact_name
        assert case_study.organisation.name not in case_study.contact_name
        assert "Case study author" not in case_study.contact_name
    alder_hey = CaseStudy.objects.get(organisation__ods_code="RBS")
    assert alder_hey.contact_name == "Priya Shah, Head of Social Value"


def test_seeding_again_renames_the_old_placeholder_contact_but_keeps_an_edit():
    _seed_all()
    alder_hey = CaseStudy.objects.select_related("organisation").get(organisation__ods_code="RBS")
    gowns = CaseStudy.objects.get(organisation__ods_code="RTF")
    # As an earlier seed left them: the author's placeholder name as the contact...
    CaseStudy.objects.filter(pk=alder_hey.pk).update(
        contact_name=f"Case study author, {alder_hey.organisation.name}"
    )
    # ...and one someone has since edited.
    CaseStudy.objects.filter(pk=gowns.pk).update(contact_name="Jo Bloggs, Supply chain")
    demo.seed()
    alder_hey.refresh_from_db()
    gowns.refresh_from_db()
    assert alder_hey.contact_name == "Priya Shah, Head of Social Value"
    assert gowns.contact_name == "Jo Bloggs, Supply chain"
