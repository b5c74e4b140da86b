"""Case-study outcomes that use a standard measure: read and checked by its unit kind in the
case-study form; free-text outcomes keep working as before."""

from decimal import Decimal

import pytest
from django.urls import reverse

from casestudies.models import CaseStudy
from casestudies.services import content_of
from tests.anchors.factories import OrganisationFactory, member_of, pillar
from tests.casestudies.factories import CaseStudyFactory, OutcomeMeasureFactory

from .factories import measure

pytestmark = pytest.mark.django_db


def form_data(org, **rows):
    data = {
        "organisation": org.pk, "title": "Buying locally", "summary": "We moved spend to local suppliers.",
        "pillars": [pillar("purchasing").pk], "tags": "", "period": "2024", "contact_name": "", "contact_email": "",
        "partners": "", "context": "Context.", "approach": "Approach.", "outcomes": "", "lessons": "", "next_steps": "",
        "measures-TOTAL_FORMS": "2", "measures-INITIAL_FORMS": "0", "measures-MIN_NUM_FORMS": "0",
        "measures-MAX_NUM_FORMS": "30",
    }
    data.update({f"measures-0-{name}": value for name, value in rows.items()})
    return data


@pytest.fixture
def org():
    return OrganisationFactory()


@pytest.fixture
def author(client, org):
    person = member_of(org)
    client.force_login(person)
    return person


def test_an_outcome_uses_a_standard_measure_typed_the_uk_way(client, org, author):
    local_spend = measure("local-spend")
    response = client.post(
        reverse("casestudies:create"),
        form_data(org, standard_measure=local_spend.pk, value="£420,000", baseline="£300,000", period="2024/25"),
    )
    assert response.status_code == 302
    outcome = CaseStudy.objects.get().measures.get()
    assert outcome.standard_measure == local_spend and outcome.measure == local_spend.name
    assert outcome.value == Decimal("420000") and outcome.baseline == Decimal("300000") and outcome.unit == "£"
    page = client.get(CaseStudy.objects.get().get_absolute_url()).content.decode()
    assert "£420,000" in page and "£300,000" in page


@pytest.mark.parametrize(
    ("slug", "value", "message"),
    [
        ("local-spend-share", "140%", "Enter a percentage between 0 and 100"),
        ("apprenticeship-starts", "£420", "Enter a whole number, not a sum of money"),
        ("apprenticeship-starts", "-4", "Enter a whole number of 0 or more"),
    ],
)
def test_a_value_that_does_not_fit_the_standard_measure_is_answered_in_the_form(client, org, author, slug, value, message):
    response = client.post(
        reverse("casestudies:create"), form_data(org, standard_measure=measure(slug).pk, value=value, period="Typed period")
    )
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page and message in page
    assert f'value="{value}"' in page and "Typed period" in page
    assert not CaseStudy.objects.exists()


def test_free_text_outcomes_work_as_before(client, org, author):
    response = client.post(
        reverse("casestudies:create"), form_data(org, measure="Gowns a week", value="6,000", unit="gowns")
    )
    assert response.status_code == 302
    outcome = CaseStudy.objects.get().measures.get()
    assert outcome.standard_measure is None and outcome.value == Decimal("6000") and outcome.unit == "gowns"


def test_free_text_outcomes_still_need_a_measure_and_a_unit(client, org, author):
    page = client.post(reverse("casestudies:create"), form_data(org, value="12")).content.decode()
    assert "Enter what was measured" in page and "Enter the unit" in page


def test_an_existing_outcome_keeps_its_standard_measure_through_an_edit(client, org, author):
    case_study = CaseStudyFactory(organisation=org)
    OutcomeMeasureFactory(case_study=case_study, measure="Apprentices", value=40, unit="", standard_measure=measure("apprenticeship-starts"))
    OutcomeMeasureFactory(case_study=case_study, measure="Old free text", value=3, unit="things")
    content = content_of(case_study)
    assert content["measures"][0]["standard_measure"] == measure("apprenticeship-starts").pk
    assert "standard_measure" not in content["measures"][1]  # content saved before standard measures compares equal
    page = client.get(reverse("casestudies:edit", kwargs={"slug": case_study.slug})).content.decode()
    assert f'<option value="{measure("apprenticeship-starts").pk}" selected>' in page


def test_the_edit_form_reads_the_standard_measures_once_for_every_row(client, org, author):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(rows):
        data = form_data(org, standard_measure=measure("apprenticeship-starts").pk, value="lots")
        data["measures-TOTAL_FORMS"] = str(rows)
        with CaptureQueriesContext(connection) as ctx:
            client.post(reverse("casestudies:create"), data)
        return len(ctx.captured_queries)

    assert queries(1) == queries(30)
