"""Ask the author in a browser: a visitor is sent to sign in, asks, sees the confirmation; the
contact reports and stops questions from the email's links; an author turns questions off.
Every page is checked by the harness (status, console, axe-core), in English and Welsh."""

from django.core import mail

from questions.models import ContactOptOut, MisuseReport, Question, QuestionSetting
from tests.anchors.factories import OrganisationFactory, coordinator, member_of
from tests.casestudies.factories import PublishedCaseStudyFactory
from tests.e2e.conftest import sign_in

CONTACT = "pat.contact@trust.example"


def test_sign_in_ask_and_see_the_confirmation_then_the_contact_reports_and_stops(pages, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = pages.url("").rstrip("/")
    case_study = PublishedCaseStudyFactory(title="Bread from the bakery next door", contact_name="Pat Contact",
                                           contact_email=CONTACT)
    asker = member_of(OrganisationFactory(name="Riverside Health Board"), user__full_name="Alex Asker")
    coordinator()

    # A visitor sees the contact's name and the link, never the address; the link asks them to sign in.
    pages.goto(case_study.get_absolute_url())
    assert "Pat Contact" in pages.page.inner_text("main")
    assert CONTACT not in pages.page.content()
    pages.follow("main a:has-text('Ask a question')")
    assert "/account/login/" in pages.page.url
    pages.page.fill("input[name=login]", asker.email)
    pages.page.fill("input[name=password]", "correct-horse-battery-staple")
    pages.submit()
    assert "Ask a question" in pages.page.inner_text("h1")

    # An empty question is answered in the form; then the question goes.
    pages.submit()
    assert "Write your question" in pages.page.inner_text(".nhsuk-error-summary")
    pages.page.fill("textarea[name=message]", "How did you persuade the bakery to tender?")
    pages.submit()
    assert "Your question has been sent" in pages.page.inner_text("h1")
    assert CONTACT not in pages.page.content()
    assert Question.objects.get().asker == asker
    (email,) = [m for m in mail.outbox if m.to == [CONTACT]]
    assert email.extra_headers["Reply-To"] == asker.email

    # The ask page in Welsh passes the same checks.
    pages.goto("/cy" + case_study.get_absolute_url() + "ask/")

    # The contact, not signed in, reports the question and stops questions.
    pages.page.context.clear_cookies()
    report = next(word for word in email.body.split() if "/questions/report/" in word)
    pages.goto(report.removeprefix(settings.SITE_URL))
    pages.submit("main form button[type=submit]")
    assert "reported" in pages.page.inner_text("h1")
    assert MisuseReport.objects.filter(question__asker=asker).exists()
    stop = next(word for word in email.body.split() if "/questions/stop/" in word)
    pages.goto(stop.removeprefix(settings.SITE_URL))
    pages.submit("main form button[value=this]")
    assert "Questions are stopped" in pages.page.inner_text("h1")
    assert ContactOptOut.objects.get().case_study_id == case_study.pk
    pages.goto(case_study.get_absolute_url())
    assert "Ask a question" not in pages.page.inner_text("main")


def test_an_author_turns_questions_off(pages):
    case_study = PublishedCaseStudyFactory(contact_name="Pat Contact", contact_email=CONTACT)
    author = member_of(case_study.organisation)
    sign_in(pages, author.email)
    pages.goto(case_study.get_absolute_url())
    pages.follow("main a:has-text('Questions: on or off')")
    pages.page.check("input[name=accepts_questions][value=no]")
    pages.submit()
    assert QuestionSetting.objects.get(case_study=case_study).accepts_questions is False
    assert "Ask a question" not in pages.page.inner_text("main")
