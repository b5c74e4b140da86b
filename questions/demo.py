"""Demo questions for `make run`: one case study takes questions (with a question already sent
and reported, so coordinators see the admin's report list), one has them turned off."""

from django.utils import timezone
from django.utils.text import slugify

from accounts.demo import demo_user
from casestudies.models import CaseStudy

from .models import MisuseReport, Question, QuestionSetting

OPEN = "A whole system committing to social value"
OFF = "Homes and apprenticeships for young people in former nurses' housing"

DEMO_QUESTION = (
    "We are starting a social value policy across our system. How did you get every partner "
    "to sign up, and who holds the figures each year?"
)


def seed(stdout=None, options=None) -> None:
    open_case = CaseStudy.objects.published().filter(slug=slugify(OPEN)).first()
    off_case = CaseStudy.objects.published().filter(slug=slugify(OFF)).first()
    member = demo_user("member")
    if open_case is not None:
        QuestionSetting.objects.get_or_create(case_study=open_case, defaults={"accepts_questions": True})
        if not Question.objects.filter(case_study=open_case, asker=member).exists():
            question = Question.objects.create(
                asker=member, case_study=open_case, message=DEMO_QUESTION, asked_at=timezone.now()
            )
            MisuseReport.objects.create(question=question, notes="Demo report: nothing wrong, mark it reviewed.")
    if off_case is not None:
        author = CaseStudy.objects.filter(pk=off_case.pk).values_list("created_by", flat=True).first()
        QuestionSetting.objects.get_or_create(
            case_study=off_case, defaults={"accepts_questions": False, "changed_by_id": author}
        )
    if stdout is not None and open_case is not None and off_case is not None:
        stdout.write(f"Questions: open on “{open_case.title}”, turned off on “{off_case.title}”.")
