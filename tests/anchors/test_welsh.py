"""The anchors pages and emails in Welsh, and the Welsh names of regions and pillars.

Needs the compiled catalogue with anchors' Welsh: `python scripts/welsh.py build`.
"""

import html
import importlib

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from anchors import services
from anchors.models import Membership
from tests.anchors.factories import (
    OrganisationFactory,
    RegionalLeadFactory,
    admin_of,
    coordinator,
    join_request,
    lead_of,
    pending,
    pillar,
    region,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_between_tests():
    """A request to a /cy/ page leaves Welsh active in this thread: reset it, so `reverse` and
    the next test start in English."""
    translation.activate("en-gb")
    yield
    translation.activate("en-gb")


def welsh(name: str, *args, **kwargs) -> str:
    with translation.override("cy"):
        return reverse(name, args=args, kwargs=kwargs)


def text_of(response) -> str:
    return html.unescape(response.text)


# --- Region and pillar names -------------------------------------------------------------------


def test_reference_data_has_welsh_names():
    assert region("WLS").name_cy == "Cymru"
    assert region("SCT").name_cy == "Yr Alban"
    assert region("NIR").name_cy == "Gogledd Iwerddon"
    assert region("Y56").name_cy == "Llundain"
    assert pillar("workforce").name_cy == "Ehangu mynediad at waith o ansawdd"


def test_label_follows_the_language_and_falls_back_to_english():
    wales = region("WLS")
    assert wales.label == "Wales"
    with translation.override("cy"):
        assert wales.label == "Cymru"
        wales.name_cy = ""
        assert wales.label == "Wales"  # no Welsh name yet: the English one


def test_loading_the_welsh_names_again_keeps_a_coordinators_edit():
    from django.apps import apps

    wales = region("WLS")
    wales.name_cy = "Cymru (golygwyd)"
    wales.save()
    importlib.import_module("anchors.migrations.0007_welsh_names").load(apps, None)
    wales.refresh_from_db()
    assert wales.name_cy == "Cymru (golygwyd)"


def test_region_and_pillar_names_are_welsh_on_welsh_pages_and_english_on_english_ones(client):
    organisation = OrganisationFactory(
        name="Betsi Cadwaladr University Health Board", region=region("WLS"), pillars=[pillar("workforce")]
    )
    english = text_of(client.get(organisation.get_absolute_url()))
    assert "Wales" in english and "Widening access to quality work" in english
    assert "Cymru" not in english

    page = text_of(client.get(welsh("anchors:organisation", slug=organisation.slug)))
    assert "Cymru" in page and "Ehangu mynediad at waith o ansawdd" in page
    assert "Widening access to quality work" not in page
    assert "Betsi Cadwaladr University Health Board" in page  # members' words stay as typed

    directory = text_of(client.get(welsh("anchors:directory")))
    assert "Cymru" in directory  # on the card and as a filter choice
    assert 'value="wales"' in directory


# --- Pages -------------------------------------------------------------------------------------


def test_the_directory_in_welsh(client):
    OrganisationFactory.create_batch(3)
    page = text_of(client.get(welsh("anchors:directory")))
    assert '<html lang="cy"' in page
    assert "<h1>Aelodau</h1>" in page
    assert "Hidlo'r aelodau" in page
    assert "3 sefydliad" in page
    assert "Math o sefydliad" in page  # a form label
    assert "Ymddiriedolaeth acíwt" in page  # an organisation type
    assert "Filter members" not in page


def test_an_organisation_page_in_welsh_for_its_admin(client):
    organisation = OrganisationFactory(name="Gwent Trust", pledge="")
    client.force_login(admin_of(organisation))
    page = text_of(client.get(welsh("anchors:organisation", slug=organisation.slug)))
    assert "Rydych yn weinyddwr Gwent Trust." in page
    assert "Golygu'r proffil a'r addewid" in page
    assert "Nid yw Gwent Trust wedi ysgrifennu ei addewid eto." in page
    assert "Anchor pledge" not in page


def test_a_bad_join_request_is_answered_in_welsh(client):
    organisation = OrganisationFactory(name="Powys Teaching Health Board")
    client.force_login(UserFactory())
    response = client.post(welsh("anchors:join", slug=organisation.slug), {"reason": ""})
    assert response.status_code == 200
    page = text_of(response)
    assert "Gofyn am gael bod yn aelod o Powys Teaching Health Board" in page
    assert "Pam rydych chi am ymuno?" in page  # the label
    assert page.count("Dywedwch pam rydych am ymuno") == 2  # in the error summary and at the field
    assert "Why do you want to join?" not in page


def test_a_bad_appointment_is_answered_in_welsh(client):
    client.force_login(coordinator())
    response = client.post(
        welsh("anchors:roles"), {"form": "coordinator", "coordinator-email": "nobody@example.org"}
    )
    assert response.status_code == 200
    page = text_of(response)
    assert "Nid oes cyfrif yn defnyddio'r cyfeiriad e-bost hwn" in page
    assert "Penodi cydlynydd" in page
    assert 'value="nobody@example.org"' in page  # what was typed stays


def test_the_verification_queue_in_welsh(client):
    pending(name="Cardiff and Vale University Health Board", region=region("WLS"))
    client.force_login(lead_of("WLS"))
    page = text_of(client.get(welsh("anchors:verification")))
    assert "Sefydliadau sy'n aros i gael eu dilysu" in page
    assert "Cymru" in page


def test_a_service_refusal_is_in_welsh(client):
    organisation = OrganisationFactory(name="Swansea Bay")
    user = UserFactory()
    join_request(organisation, user=user)
    client.force_login(user)
    refused = pytest.raises(services.InvalidState, match="Rydych eisoes wedi gofyn am gael bod yn aelod o Swansea Bay")
    with translation.override("cy"), refused:
        services.membership_request(organisation=organisation, by=user, reason="Eto")


def test_english_pages_are_unchanged(client):
    organisation = OrganisationFactory(name="Leeds Trust", region=region("Y63"))
    page = text_of(client.get(organisation.get_absolute_url()))
    assert "North East and Yorkshire" in page
    assert "Gogledd-ddwyrain" not in page
    assert "Sign in</a> to ask to join Leeds Trust." in page


# --- Emails ------------------------------------------------------------------------------------


def _email_contexts():
    person = UserFactory(full_name="Ceri Jones", job_title="Anchor lead")
    other = UserFactory(full_name="Dafydd Evans")
    organisation = OrganisationFactory(name="Hywel Dda", region=region("WLS"), registered_by=person)
    organisation.decision_reason = "Checked with the board."
    organisation.decided_by = other
    membership = Membership(
        user=person, organisation=organisation, reason="I lead our programme.", ended_at=timezone.now(),
        ended_by=other, end_reason="Moved on.", decision_reason="Not our staff.",
    )
    appointment = RegionalLeadFactory(user=person, region=region("WLS"), appointed_by=other)
    urls = dict.fromkeys(
        ("url", "admin_url", "queue_url", "requests_url", "people_url", "edit_url", "verification_url",
         "roles_url", "account_url"),
        "https://example.org/x/",
    )
    base = {"organisation": organisation, "person": person, "membership": membership,
            "SITE_NAME": "Anchors Learning Network", **urls}
    return {
        "organisation_verified": (base, "wedi'i ddilysu"),
        "organisation_declined": (base, "Gwrthodwyd eich cofrestriad"),
        "organisation_registered": (base, "wedi cofrestru"),
        "join_requested": (base, "yn gofyn am gael bod yn aelod o"),
        "join_decided": ({**base, "approved": True}, "Rydych bellach yn aelod o"),
        "membership_left": (base, "Gwnaethoch adael"),
        "membership_removed": ({**base, "remover": other}, "wedi eich tynnu o"),
        "admin_appointed": ({**base, "appointer": other}, "yn weinyddwr"),
        "regional_lead_appointed": ({**base, "appointer": other, "region": appointment.region,
                                     "appointment": appointment}, "arweinydd rhanbarthol"),
        "coordinator_appointed": ({**base, "appointer": other}, "gydlynydd"),
    }


@pytest.mark.parametrize(
    "name",
    ["organisation_verified", "organisation_declined", "organisation_registered", "join_requested",
     "join_decided", "membership_left", "membership_removed", "admin_appointed",
     "regional_lead_appointed", "coordinator_appointed"],
)
def test_every_anchors_email_renders_in_welsh(name):
    context, expected = _email_contexts()[name]
    with translation.override("cy"):
        parts = {
            part: html.unescape(render_to_string(f"anchors/emails/{name}{part}", context))
            for part in ("_subject.txt", ".txt", ".html")
        }
    # The HTML's own words (between the site's header and footer, which emails/base.html owns).
    parts[".html"] = parts[".html"].split("padding:24px", 1)[1].split("border-top", 1)[0]
    for part, text in parts.items():
        assert "Hello" not in text and " the Anchors" not in text, (part, text)
    body = parts[".txt"]
    assert expected in body, body
    assert "Helo" in parts[".html"] or name == "join_requested"
    if name not in ("regional_lead_appointed", "coordinator_appointed"):
        assert "Hywel Dda" in parts["_subject.txt"] + body  # members' words stay as they typed them
    if name == "regional_lead_appointed":
        assert "Cymru" in parts["_subject.txt"] and "Cymru" in body


def test_a_welsh_speaker_is_told_in_welsh_that_their_organisation_is_verified(mailbox, django_capture_on_commit_callbacks):
    registrant = UserFactory(language="cy")
    organisation = pending(registered_by=registrant, name="Aneurin Bevan", region=region("WLS"))
    with django_capture_on_commit_callbacks(execute=True):
        services.organisation_verify(organisation=organisation, by=lead_of("WLS"))
    (message,) = mailbox
    assert message.subject == "Mae Aneurin Bevan bellach yn aelod o'r rhwydwaith"
    assert "Chi yw ei weinyddwr cyntaf." in message.body
