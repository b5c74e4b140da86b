"""Ask the author: asking, the email, the contact's links, the authors' choice, and the
contact's address never leaving the server. Three named actors: the asker (a member of another
organisation), an author (a member of the case study's organisation) and a visitor."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from anchors.services import InvalidState, NotAllowed
from questions import services
from questions.models import ContactOptOut, MisuseReport, Question, QuestionSetting, address_hash
from questions.selectors import accepts_questions
from tests.anchors.factories import coordinator, member_of
from tests.casestudies.factories import CaseStudyFactory, PublishedCaseStudyFactory
from tests.factories import UserFactory

from .conftest import CONTACT

pytestmark = pytest.mark.django_db


def ask_url(case_study) -> str:
    return reverse("questions:ask", args=[case_study.slug])


def links_in(text: str, marker: str) -> str:
    return next(word for word in text.split() if marker in word)


# --- Asking ------------------------------------------------------------------------------------


def test_it_emails_the_contact_with_the_asker_s_details_and_reply_to(case_study, asker, sent):
    question = sent(lambda: services.question_ask(case_study=case_study, message="How did you start?", by=asker))

    (email,) = mail.outbox
    assert email.to == [CONTACT]
    assert email.extra_headers["Reply-To"] == asker.email
    assert case_study.title in email.subject
    html = email.alternatives[0][0]
    for part in (email.body, html):
        assert "Alex Asker" in part and "Procurement lead" in part and "Riverside Health Board" in part
        assert "How did you start?" in part
        assert "/questions/report/" in part and "/questions/stop/" in part
        assert case_study.get_absolute_url() in part
    assert Question.objects.get() == question and question.asker == asker


def test_someone_with_no_organisation_is_named_as_such(case_study, sent):
    loner = UserFactory(full_name="Lou Loner", job_title="")
    sent(lambda: services.question_ask(case_study=case_study, message="Hello", by=loner))
    (email,) = mail.outbox
    assert "no organisation yet" in email.body and "not given" in email.body


def test_the_message_loses_nul_bytes_and_is_required(case_study, asker, sent):
    question = sent(lambda: services.question_ask(case_study=case_study, message="  Hi\x00 there ", by=asker))
    assert question.message == "Hi there"
    with pytest.raises(InvalidState):
        services.question_ask(case_study=case_study, message="\x00 \n", by=asker)
    with pytest.raises(InvalidState):
        services.question_ask(case_study=case_study, message="x" * 2001, by=asker)


def test_a_member_of_the_case_study_s_organisation_is_refused(case_study):
    colleague = member_of(case_study.organisation)
    with pytest.raises(InvalidState, match="your own organisation"):
        services.question_ask(case_study=case_study, message="Hi", by=colleague)
    assert not Question.objects.exists()


def test_an_unverified_person_is_refused(case_study):
    with pytest.raises(NotAllowed):
        services.question_ask(case_study=case_study, message="Hi", by=UserFactory(verified=False))


def test_a_case_study_without_a_contact_takes_no_questions(asker):
    case_study = PublishedCaseStudyFactory(contact_name="Pat Contact", contact_email="")
    assert not accepts_questions(case_study)
    with pytest.raises(InvalidState):
        services.question_ask(case_study=case_study, message="Hi", by=asker)


# --- The pages ---------------------------------------------------------------------------------


def test_a_visitor_is_sent_to_sign_in(client, case_study):
    response = client.get(ask_url(case_study))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_unpublished_case_studies_are_not_found(client, asker):
    client.force_login(asker)
    for status in ("draft", "submitted", "archived"):
        hidden = CaseStudyFactory(status=status, contact_email=CONTACT)
        assert client.get(ask_url(hidden)).status_code == 404
        assert client.post(ask_url(hidden), {"message": "Hi"}).status_code == 404
    assert not Question.objects.exists()


def test_the_asker_asks_and_sees_a_confirmation_without_the_address(client, case_study, asker, sent):
    client.force_login(asker)
    page = client.get(ask_url(case_study))
    assert page.status_code == 200 and CONTACT not in page.content.decode()
    response = sent(lambda: client.post(ask_url(case_study), {"message": "How did you start?"}, follow=True))
    html = response.content.decode()
    assert "Your question has been sent" in html and "Pat Contact" in html
    assert CONTACT not in html and CONTACT.split("@")[0] not in html
    assert len(mail.outbox) == 1


def test_the_confirmation_page_is_only_for_someone_who_just_asked(client, case_study, asker):
    client.force_login(asker)
    response = client.get(reverse("questions:sent", args=[case_study.slug]))
    assert response.status_code == 302 and response["Location"] == ask_url(case_study)


def test_bad_input_is_answered_in_the_form_keeping_the_text(client, case_study, asker):
    client.force_login(asker)
    response = client.post(ask_url(case_study), {"message": "   "})
    assert response.status_code == 200 and "nhsuk-error-summary" in response.content.decode()
    too_long = "Tell me more. " * 200
    response = client.post(ask_url(case_study), {"message": too_long})
    html = response.content.decode()
    assert response.status_code == 200 and "2,000 characters or fewer" in html and "Tell me more." in html
    assert not Question.objects.exists()


def test_a_colleague_sees_why_they_cannot_ask(client, case_study):
    client.force_login(member_of(case_study.organisation))
    response = client.get(ask_url(case_study))
    assert response.status_code == 200 and "your own organisation" in response.content.decode()
    assert "<textarea" not in response.content.decode()


def test_an_unverified_person_is_refused_the_page(client, case_study):
    client.force_login(UserFactory(verified=False))
    assert client.get(ask_url(case_study)).status_code == 403


# --- The contact's address never leaves the server ---------------------------------------------


def test_the_case_study_page_shows_the_name_and_the_link_never_the_address(client, case_study, asker):
    for who in (None, asker, member_of(case_study.organisation), coordinator()):
        client.logout()
        if who:
            client.force_login(who)
        html = client.get(case_study.get_absolute_url()).content.decode()
        assert "Pat Contact" in html and CONTACT not in html and "mailto:" not in html
        assert ask_url(case_study) in html


def test_the_api_and_the_feed_never_carry_the_address(client, case_study):
    for path in (reverse("api:case-study", args=[case_study.slug]), reverse("api:case-studies"),
                 reverse("casestudies:feed")):
        body = client.get(path).content.decode()
        assert CONTACT not in body and "contact_email" not in body


def test_the_link_goes_when_questions_are_off_and_comes_back(client, case_study, sent):
    """The visitors' page is cached: turning questions off retires it after the commit."""
    author = member_of(case_study.organisation)
    assert ask_url(case_study) in client.get(case_study.get_absolute_url()).content.decode()
    sent(lambda: services.question_setting_change(case_study=case_study, accepts_questions=False, by=author))
    assert ask_url(case_study) not in client.get(case_study.get_absolute_url()).content.decode()
    sent(lambda: services.question_setting_change(case_study=case_study, accepts_questions=True, by=author))
    assert ask_url(case_study) in client.get(case_study.get_absolute_url()).content.decode()


def test_no_contact_no_link(client):
    case_study = PublishedCaseStudyFactory(contact_name="Pat Contact", contact_email="")
    html = client.get(case_study.get_absolute_url()).content.decode()
    assert "Pat Contact" in html and ask_url(case_study) not in html


# --- The authors' choice -----------------------------------------------------------------------


def test_an_author_turns_questions_off_and_the_ask_page_says_so(client, case_study, asker):
    author = member_of(case_study.organisation)
    client.force_login(author)
    settings_url = reverse("questions:settings", args=[case_study.slug])
    assert settings_url in client.get(case_study.get_absolute_url()).content.decode()
    response = client.post(settings_url, {"accepts_questions": "no"})
    assert response.status_code == 302
    assert QuestionSetting.objects.get(case_study=case_study).accepts_questions is False
    client.force_login(asker)
    page = client.get(ask_url(case_study)).content.decode()
    assert "not taking questions" in page
    client.post(ask_url(case_study), {"message": "Hi"})
    assert not Question.objects.exists()


def test_someone_outside_the_organisation_cannot_change_the_choice(client, case_study, asker):
    client.force_login(asker)
    settings_url = reverse("questions:settings", args=[case_study.slug])
    assert client.get(settings_url).status_code == 403
    assert client.post(settings_url, {"accepts_questions": "no"}).status_code == 403
    with pytest.raises(NotAllowed):
        services.question_setting_change(case_study=case_study, accepts_questions=False, by=asker)
    assert not QuestionSetting.objects.exists()
    assert settings_url not in client.get(case_study.get_absolute_url()).content.decode()


def test_the_settings_form_answers_bad_input_in_the_form(client, case_study):
    client.force_login(member_of(case_study.organisation))
    response = client.post(reverse("questions:settings", args=[case_study.slug]), {"accepts_questions": "maybe"})
    assert response.status_code == 200 and "nhsuk-error-summary" in response.content.decode()


# --- The contact's links -----------------------------------------------------------------------


def test_stop_questions_about_this_case_study(client, case_study, asker, sent):
    other = PublishedCaseStudyFactory(contact_email=CONTACT.upper())
    sent(lambda: services.question_ask(case_study=case_study, message="Hi", by=asker))
    stop = links_in(mail.outbox[0].body, "/questions/stop/")
    page = client.get(stop)
    assert page.status_code == 200 and CONTACT not in page.content.decode()
    assert ask_url(case_study) in client.get(case_study.get_absolute_url()).content.decode()
    response = sent(lambda: client.post(stop, {"scope": "this"}, follow=True))
    assert "will not send you any more questions" in response.content.decode()
    assert ContactOptOut.objects.get().case_study == case_study
    assert ContactOptOut.objects.get().address_hash == address_hash(CONTACT)
    assert not accepts_questions(case_study) and accepts_questions(other)
    assert ask_url(case_study) not in client.get(case_study.get_absolute_url()).content.decode()
    with pytest.raises(InvalidState):
        services.question_ask(case_study=case_study, message="Again", by=asker)


def test_stop_questions_about_every_case_study_with_the_address(client, case_study, asker, sent):
    other = PublishedCaseStudyFactory(contact_email=CONTACT.upper())
    sent(lambda: services.question_ask(case_study=case_study, message="Hi", by=asker))
    stop = links_in(mail.outbox[0].body, "/questions/stop/")
    assert ask_url(other) in client.get(other.get_absolute_url()).content.decode()
    sent(lambda: client.post(stop, {"scope": "all"}))
    sent(lambda: client.post(stop, {"scope": "all"}))  # twice changes nothing
    assert ContactOptOut.objects.get().case_study is None
    assert not accepts_questions(case_study) and not accepts_questions(other)
    assert ask_url(other) not in client.get(other.get_absolute_url()).content.decode()


def test_report_misuse_records_it_once_and_tells_the_coordinators(client, case_study, asker, sent):
    boss = coordinator()
    sent(lambda: services.question_ask(case_study=case_study, message="Buy my widgets", by=asker))
    report = links_in(mail.outbox[0].body, "/questions/report/")
    mail.outbox.clear()
    page = client.get(report)
    assert page.status_code == 200 and "Report misuse" in page.content.decode()
    assert not MisuseReport.objects.exists()  # a GET (a mail scanner) reports nothing
    response = sent(lambda: client.post(report, follow=True))
    assert "the question is reported" in response.content.decode()
    sent(lambda: client.post(report))
    assert MisuseReport.objects.get().question.message == "Buy my widgets"
    (email,) = mail.outbox
    assert email.to == [boss.email] and "/admin/questions/misusereport/" in email.body


def test_a_coordinator_sees_the_report_in_the_admin_and_a_member_does_not(client, case_study, asker):
    question = services.question_ask(case_study=case_study, message="Buy my widgets", by=asker)
    report = services.question_report(question=question)
    from anchors.services import coordinator_appoint

    boss = UserFactory()
    coordinator_appoint(user=boss, by=UserFactory(is_superuser=True, is_staff=True))
    client.force_login(boss)
    path = reverse("admin:questions_misusereport_change", args=[report.pk])
    page = client.get(path)
    assert page.status_code == 200 and "Buy my widgets" in page.content.decode()
    client.force_login(asker)
    assert client.get(path).status_code in (302, 403)


def test_a_tampered_link_does_not_work(client, case_study):
    for name in ("questions:report", "questions:stop"):
        response = client.get(reverse(name, args=["not-a-token"]))
        assert response.status_code == 404 and "This link does not work" in response.content.decode()
        assert client.post(reverse(name, args=["not-a-token"]), {"scope": "all"}).status_code == 404
    assert not ContactOptOut.objects.exists() and not MisuseReport.objects.exists()


def test_reporting_redirects_and_a_second_visit_says_it_is_already_reported(client, case_study, asker, sent):
    sent(lambda: services.question_ask(case_study=case_study, message="Buy my widgets", by=asker))
    report = links_in(mail.outbox[0].body, "/questions/report/")
    response = sent(lambda: client.post(report))
    assert response.status_code == 302  # a refresh of the confirmation posts nothing again
    confirmation = client.get(response["Location"]).content.decode()
    assert "Thank you: the question is reported" in confirmation and "<form" not in confirmation.split("<main")[1]
    later = client.get(report).content.decode()
    assert "This question is already reported" in later
    assert "Report misuse</button>" not in later
    assert MisuseReport.objects.count() == 1


def test_the_report_page_in_welsh_says_it_is_already_reported(client, case_study, asker, sent):
    sent(lambda: services.question_ask(case_study=case_study, message="Buy my widgets", by=asker))
    report = links_in(mail.outbox[0].body, "/questions/report/")
    client.post(report)
    path = report[report.index("/questions/report/"):]
    assert "Rhoddwyd gwybod am y cwestiwn hwn eisoes" in client.get("/cy" + path).content.decode()


def test_stopping_redirects_and_a_second_visit_says_what_is_stopped(client, case_study, asker, sent):
    sent(lambda: services.question_ask(case_study=case_study, message="Hi", by=asker))
    stop = links_in(mail.outbox[0].body, "/questions/stop/")
    response = sent(lambda: client.post(stop, {"scope": "this"}))
    assert response.status_code == 302
    page = client.get(stop).content.decode()
    assert "will not send you any more questions" in page
    assert 'value="this"' not in page and 'value="all"' in page  # only the wider choice is left
    response = sent(lambda: client.post(stop, {"scope": "all"}))
    assert response.status_code == 302
    page = client.get(stop).content.decode()
    assert "any case study that gives your email address" in page and "<button" not in page.split("<main")[1]
    assert ContactOptOut.objects.count() == 2


# --- Personal data -----------------------------------------------------------------------------


def test_the_asker_s_download_has_their_questions_and_deletion_erases_the_words(case_study, asker):
    from accounts.services import account_delete, personal_data_document

    services.question_ask(case_study=case_study, message="How did you start?", by=asker)
    document = personal_data_document(asker)
    (asked,) = document["questions_you_asked"]
    assert asked["message"] == "How did you start?" and asked["case_study"] == case_study.title
    assert CONTACT not in str(document)
    account_delete(user=asker, by=asker)
    question = Question.objects.get()
    assert question.asker is None and question.message == ""


def test_the_contact_s_download_names_their_opt_outs(case_study):
    contact = UserFactory(email=CONTACT)
    services.contact_opt_out(case_study_id=case_study.pk, address_hash=address_hash(CONTACT), every_case_study=True)
    from accounts.services import personal_data_document

    assert personal_data_document(contact)["questions_stopped_for_your_address"][0]["case_study"] == "every case study"


# --- Language ----------------------------------------------------------------------------------


def test_the_email_is_in_the_contact_s_language_when_they_have_an_account(case_study, asker, sent):
    UserFactory(email=CONTACT, language="cy")
    sent(lambda: services.question_ask(case_study=case_study, message="Hi", by=asker))
    (email,) = mail.outbox
    # The site's links in it open the Welsh pages (the words follow the compiled catalogue).
    assert "/cy/questions/stop/" in email.body and "/cy/case-studies/" in email.body


def test_the_email_is_in_english_for_a_contact_without_an_account(client, case_study, asker, sent):
    client.force_login(asker)
    sent(lambda: client.post("/cy" + ask_url(case_study), {"message": "Hi"}))  # asked from a Welsh page
    (email,) = mail.outbox
    assert "/cy/" not in email.body and "Someone on the Anchors Learning Network" in email.body
