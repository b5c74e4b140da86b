import pytest

from accounts import demo as accounts_demo
from anchors import demo as anchors_demo
from evidence import demo
from evidence.models import AnnualFigure, Commitment, CommitmentSignature, SelfAssessment

pytestmark = pytest.mark.django_db


def test_the_demo_gives_every_evidence_page_something_real_and_is_safe_to_run_twice(client):
    accounts_demo.seed()
    anchors_demo.seed()
    demo.seed()
    counts = (AnnualFigure.objects.count(), CommitmentSignature.objects.count(), SelfAssessment.objects.count())
    demo.seed()
    assert (AnnualFigure.objects.count(), CommitmentSignature.objects.count(), SelfAssessment.objects.count()) == counts

    # Three years published for each of the seven demo members, and this year's drafts at Northumbria.
    assert AnnualFigure.objects.published().values("year").distinct().count() == 3
    assert AnnualFigure.objects.published().values("organisation").distinct().count() == 7
    assert AnnualFigure.objects.filter(status="draft", organisation__ods_code="RTF").exists()
    assert CommitmentSignature.objects.filter(organisation__ods_code="RTF").count() == 2
    assert SelfAssessment.objects.filter(organisation__ods_code="RTF").count() == 2
    assert Commitment.objects.count() == 2

    page = client.get("/measures/local-spend-share/").content.decode()
    assert "7 organisations published a figure" in page and "<svg" in page
    commitment = client.get("/commitments/real-living-wage-suppliers-2027/").content.decode()
    assert "Northumbria Healthcare NHS Foundation Trust" in commitment and "Not yet met" in commitment
    profile = client.get("/members/northumbria-healthcare-nhs-foundation-trust/").content.decode()
    assert "Carbon saved" in profile and "Level 4" in profile


def test_the_demo_leaves_changed_figures_alone():
    accounts_demo.seed()
    anchors_demo.seed()
    demo.seed()
    figure = AnnualFigure.objects.filter(organisation__ods_code="RBS").first()
    figure.value = 1
    figure.save()
    demo.seed()
    figure.refresh_from_db()
    assert figure.value == 1
