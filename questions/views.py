"""Ask a question, see it sent; the authors' choice; the contact's report and stop links."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from anchors.models import is_member_of
from anchors.services import AnchorsError, NotAllowed
from casestudies.models import CaseStudy

from . import services, tokens
from .forms import QuestionForm, QuestionSettingForm
from .models import ContactOptOut, MisuseReport, Question
from .selectors import authors_accept, contact_opted_out

NAV = {"nav": "case-studies"}


def _published(slug: str) -> CaseStudy:
    """A published case study, or 404 (drafts, submitted and archived ones take no questions)."""
    return get_object_or_404(
        CaseStudy.objects.published().defer("search_vector").select_related("organisation"), slug=slug
    )


@login_required
def ask(request: HttpRequest, slug: str) -> HttpResponse:
    case_study = _published(slug)
    try:
        refusal = services.ask_refusal(case_study=case_study, by=request.user)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from None
    if refusal:
        return render(request, "questions/closed.html", {**NAV, "case_study": case_study, "refusal": refusal})
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.question_ask(case_study=case_study, message=form.cleaned_data["message"], by=request.user)
        except AnchorsError as error:
            form.add_error("message", str(error))
        else:
            return redirect("questions:sent", slug=case_study.slug)
    return render(request, "questions/ask.html", {**NAV, "case_study": case_study, "form": form})


@login_required
def sent(request: HttpRequest, slug: str) -> HttpResponse:
    """The confirmation: names the contact person, never their address."""
    case_study = _published(slug)
    recent = Question.objects.filter(
        asker=request.user, case_study=case_study, asked_at__gte=timezone.now() - timedelta(hours=1)
    )
    if not recent.exists():
        return redirect("questions:ask", slug=case_study.slug)
    return render(request, "questions/sent.html", {**NAV, "case_study": case_study})


@login_required
def question_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """The authors' choice for one of their case studies."""
    case_study = get_object_or_404(
        CaseStudy.objects.visible_to(request.user).defer("search_vector").select_related("organisation"), slug=slug
    )
    if not is_member_of(request.user, case_study.organisation_id):
        raise PermissionDenied
    current = authors_accept(case_study)
    form = QuestionSettingForm(request.POST or None, initial={"accepts_questions": "yes" if current else "no"})
    if request.method == "POST" and form.is_valid():
        accepts = form.cleaned_data["accepts_questions"]
        services.question_setting_change(case_study=case_study, accepts_questions=accepts, by=request.user)
        if accepts:
            messages.success(request, _("Signed-in people can now ask the contact a question."))
        else:
            messages.success(request, _("Questions about this case study are turned off."))
        return redirect(case_study)
    return render(
        request,
        "questions/settings.html",
        {
            **NAV, "case_study": case_study, "form": form,
            "has_contact": bool(case_study.contact_email),
            "contact_opted_out": contact_opted_out(case_study),
        },
    )


def _invalid_link(request: HttpRequest) -> HttpResponse:
    return render(request, "questions/link_invalid.html", status=404)


def report(request: HttpRequest, token: str) -> HttpResponse:
    """The contact reports a question as misuse: a confirmation, then one POST that redirects
    (a refresh sends nothing again). A question already reported says so, without the form.
    No sign-in."""
    question_id = tokens.read_report_token(token)
    question = (
        Question.objects.select_related("case_study").filter(pk=question_id).first() if question_id else None
    )
    if question is None:
        return _invalid_link(request)
    if request.method == "POST":
        services.question_report(question=question)
        return redirect(f"{request.path}?done=1")
    reported = MisuseReport.objects.filter(question=question).exists()
    state = ("done" if "done" in request.GET else "already") if reported else None
    return render(request, "questions/report.html", {"question": question, "state": state})


def stop(request: HttpRequest, token: str) -> HttpResponse:
    """The contact turns questions off, for this case study or every one naming their address:
    one POST that redirects to a page saying what is stopped (the same page on a later visit)."""
    found = tokens.read_stop_token(token)
    case_study = CaseStudy.objects.filter(pk=found[0]).only("pk", "title", "slug").first() if found else None
    if case_study is None:
        return _invalid_link(request)
    address_hash = found[1]
    if request.method == "POST":
        every = request.POST.get("scope") == "all"
        services.contact_opt_out(case_study_id=case_study.pk, address_hash=address_hash, every_case_study=every)
        return redirect(request.path)
    scopes = set(
        ContactOptOut.objects.filter(
            Q(case_study_id=case_study.pk) | Q(case_study__isnull=True), address_hash=address_hash
        ).values_list("case_study_id", flat=True)
    )
    done = "all" if None in scopes else "this" if scopes else None
    return render(request, "questions/stop.html", {"case_study": case_study, "done": done})
