from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from anchors.models import Membership, Organisation, active_organisation_ids, is_admin_of
from anchors.services import AnchorsError, NotAllowed

from . import selectors, services, years
from .charts import bar_chart
from .forms import (
    ComparisonFilterForm,
    FigureForm,
    SelfAssessmentForm,
    SignForm,
    SpreadFilterForm,
    YearForm,
)
from .models import (
    MATURITY_LEVELS,
    AnnualFigure,
    Commitment,
    CommitmentSignature,
    MaturityLevel,
    SelfAssessment,
    StandardMeasure,
)

PAGE_SIZE = 50


def _refuse(request, error: AnchorsError):
    if isinstance(error, NotAllowed):
        raise PermissionDenied(str(error))
    messages.error(request, str(error))


def _member_organisation(request, slug: str) -> Organisation:
    """A verified organisation this person is an active member of; 404 for one they may not
    know about, 403 for one they are not a member of."""
    organisation = get_object_or_404(Organisation.objects.select_related("region"), slug=slug)
    if organisation.pk in active_organisation_ids(request.user):
        return organisation
    if not organisation.is_verified:
        raise Http404
    raise PermissionDenied(_("Only the organisation's members can see its draft figures."))


def _administered_organisation(request, slug: str) -> Organisation:
    organisation = _member_organisation(request, slug)
    if not is_admin_of(request.user, organisation.pk):
        raise PermissionDenied(_("Only the organisation's admins can do this."))
    return organisation


# --- Standard measures -------------------------------------------------------------------------


def measures(request):
    catalogue = selectors.measures_for_catalogue()
    by_pillar: dict = {}
    for measure in catalogue:
        by_pillar.setdefault(measure.pillar, []).append(measure)
    return render(request, "evidence/measures.html", {"by_pillar": by_pillar, "nav": "evidence"})


def measure_detail(request, slug):
    measure = get_object_or_404(StandardMeasure.objects.select_related("pillar"), slug=slug)
    available = selectors.measure_years(measure)
    form = ComparisonFilterForm(request.GET or None, year_choices=available)
    year, regions, types = (available[0] if available else None), [], []
    if form.is_valid():
        data = form.cleaned_data
        year = data["year"] or year
        regions, types = list(data["region"]), data["type"]
    context = {"measure": measure, "form": form, "years": available, "year": year, "nav": "evidence"}
    if year is not None:
        rows, summary = selectors.measure_comparison(measure=measure, year=year, regions=regions, types=types)
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        figures = list(page.object_list)
        for figure in figures:
            figure.measure = measure  # the same measure for every row: no query per row
        chart = bar_chart(
            [(f.organisation.name, f.value, measure.format(f.value)) for f in figures],
            [(_("Median"), summary.median)],
        )
        sentence = _(
            "Each bar is one organisation's figure for %(year)s, best first (%(better)s). The dashed line "
            "marks the median, %(median)s."
        ) % {
            "year": years.label(year), "better": measure.get_better_display().lower(),
            "median": measure.format(summary.median),
        }
        if page.paginator.num_pages > 1:
            sentence += " " + _("This page shows organisations %(first)s to %(last)s of %(count)s.") % {
                "first": page.start_index(), "last": page.end_index(), "count": summary.count,
            }
        context.update(
            page_obj=page, figures=figures, summary=summary, chart=chart, year_label=years.label(year),
            median=measure.format(summary.median), lower_quartile=measure.format(summary.lower_quartile),
            upper_quartile=measure.format(summary.upper_quartile), filtered=bool(regions or types),
            chart_title=f"{measure.display_name}, {years.label(year)}", chart_sentence=sentence,
        )
    return render(request, "evidence/measure_detail.html", context)


# --- An organisation's figures -----------------------------------------------------------------


@login_required
def organisation_figures(request, slug):
    organisation = _member_organisation(request, slug)
    figures = list(
        AnnualFigure.objects.filter(organisation=organisation)
        .select_related("measure__pillar")
        .order_by("-year", "measure__pillar__position", "measure__position", "measure__name")
    )
    by_year: dict[int, list[AnnualFigure]] = {}
    for figure in figures:
        by_year.setdefault(figure.year, []).append(figure)
    groups = [
        {
            "year": year, "label": years.label(year), "figures": rows,
            "drafts": sum(1 for f in rows if not f.is_published),
            "published": sum(1 for f in rows if f.is_published),
        }
        for year, rows in by_year.items()
    ]
    context = {
        "organisation": organisation, "groups": groups, "is_admin": is_admin_of(request.user, organisation.pk),
        "nav": "members",
    }
    return render(request, "evidence/organisation_figures.html", context)


@login_required
def figure_record(request, slug):
    organisation = _administered_organisation(request, slug)
    initial = {}
    existing = None
    if request.method == "GET" and request.GET.get("measure") and request.GET.get("year"):
        year = years.parse(request.GET["year"])
        existing = (
            AnnualFigure.objects.filter(organisation=organisation, measure__slug=request.GET["measure"], year=year)
            .select_related("measure")
            .first()
        )
        if existing is not None:
            initial = {
                "measure": existing.measure.slug, "year": str(existing.year), "value": existing.formatted,
                "note": existing.note, "source": existing.source,
            }
    form = FigureForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            figure = services.figure_record(
                organisation=organisation, measure=data["measure"], year=data["year"], value=data["value"],
                note=data["note"], source=data["source"], by=request.user,
            )
        except AnchorsError as error:
            if isinstance(error, NotAllowed):
                raise PermissionDenied(str(error)) from None
            form.add_error(None, str(error))
        else:
            if figure.is_published:
                text = _("%(measure)s for %(year)s saved. It is published.")
            else:
                text = _("%(measure)s for %(year)s saved. It is a draft until you publish the year's figures.")
            messages.success(request, text % {"measure": figure.measure.display_name, "year": figure.year_label})
            return redirect("evidence:organisation_figures", slug=organisation.slug)
    return render(
        request, "evidence/figure_form.html",
        {"organisation": organisation, "form": form, "existing": existing, "nav": "members"},
    )


@login_required
@require_POST
def figures_publish(request, slug):
    organisation = _administered_organisation(request, slug)
    form = YearForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["year"][0])
        return redirect("evidence:organisation_figures", slug=slug)
    year = form.cleaned_data["year"]
    unpublish = request.POST.get("action") == "withdraw"
    try:
        if unpublish:
            count = services.figures_unpublish(organisation=organisation, year=year, by=request.user)
        else:
            count = services.figures_publish(organisation=organisation, year=year, by=request.user)
    except AnchorsError as error:
        _refuse(request, error)
    else:
        if unpublish:
            text = ngettext(
                "%(count)s figure for %(year)s taken back to draft.",
                "%(count)s figures for %(year)s taken back to draft.",
                count,
            )
        else:
            text = ngettext(
                "%(count)s figure for %(year)s published.", "%(count)s figures for %(year)s published.", count
            )
        messages.success(request, text % {"count": count, "year": years.label(year)})
    return redirect("evidence:organisation_figures", slug=slug)


@login_required
@require_POST
def figure_delete(request, slug, pk):
    organisation = _administered_organisation(request, slug)
    figure = get_object_or_404(AnnualFigure.objects.select_related("measure", "organisation"), pk=pk, organisation=organisation)
    try:
        services.figure_delete(figure=figure, by=request.user)
    except AnchorsError as error:
        _refuse(request, error)
    else:
        messages.success(
            request, _("%(measure)s for %(year)s removed.") % {"measure": figure.measure.display_name, "year": figure.year_label}
        )
    return redirect("evidence:organisation_figures", slug=slug)


# --- Commitments -------------------------------------------------------------------------------


def commitments(request):
    rows = (
        Commitment.objects.select_related("measure__pillar")
        .annotate_signatories()
        .order_by("target_date", "title")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "evidence/commitments.html", {"page_obj": page, "commitments": page.object_list, "nav": "evidence-commitments"})


def _signable_by(user, commitment: Commitment):
    """The verified organisations this person administers that have not signed yet."""
    if not user.is_authenticated or not commitment.is_open:
        return Organisation.objects.none()
    return (
        Organisation.objects.verified()
        .filter(memberships__user=user, memberships__status="active", memberships__role="admin")
        .exclude(commitment_signatures__commitment=commitment)
        .order_by("name")
    )


def commitment_detail(request, slug):
    commitment = get_object_or_404(Commitment.objects.select_related("measure__pillar"), slug=slug)
    return _commitment_page(request, commitment)


def _commitment_page(request, commitment: Commitment, sign_form: SignForm | None = None):
    signatures = (
        CommitmentSignature.objects.filter(commitment=commitment, organisation__status=Organisation.Status.VERIFIED)
        .select_related("organisation__region")
        .order_by("organisation__name", "pk")
    )
    page = Paginator(signatures, PAGE_SIZE).get_page(request.GET.get("page"))
    progress = selectors.commitment_signatories(commitment, page.object_list)
    if sign_form is None:
        signable = list(_signable_by(request.user, commitment))
        if signable:
            # One organisation to sign for (the usual case) is chosen already.
            initial = {"organisation": signable[0].slug} if len(signable) == 1 else {}
            sign_form = SignForm(organisations=Organisation.objects.filter(pk__in=[o.pk for o in signable]), initial=initial)
    administered = (
        set(Membership.objects.admins().filter(user=request.user).values_list("organisation_id", flat=True))
        if request.user.is_authenticated else set()
    )
    context = {
        "commitment": commitment, "page_obj": page, "progress": progress, "sign_form": sign_form,
        "administered": administered, "nav": "evidence-commitments",
    }
    return render(request, "evidence/commitment_detail.html", context)


@login_required
@require_POST
def commitment_sign(request, slug):
    commitment = get_object_or_404(Commitment.objects.select_related("measure__pillar"), slug=slug)
    chosen = Organisation.objects.filter(slug=request.POST.get("organisation", "")).first()
    if chosen is not None and not is_admin_of(request.user, chosen.pk):
        raise PermissionDenied(_("Only the organisation's admins can sign for it."))
    signable = _signable_by(request.user, commitment)
    form = SignForm(request.POST, organisations=signable)
    if not form.is_valid():
        if chosen is None and not signable.exists():
            raise PermissionDenied(_("Only an organisation's admins can sign for it."))
        if chosen is None:
            return _commitment_page(request, commitment, form)
    organisation = chosen
    try:
        services.commitment_sign(commitment=commitment, organisation=organisation, by=request.user)
    except AnchorsError as error:
        _refuse(request, error)
    else:
        messages.success(
            request, _("%(organisation)s signed “%(commitment)s”.") % {"organisation": organisation.name, "commitment": commitment.title}
        )
    return redirect(commitment)


@login_required
@require_POST
def commitment_withdraw(request, slug, organisation_slug):
    commitment = get_object_or_404(Commitment, slug=slug)
    organisation = _administered_organisation(request, organisation_slug)
    signature = get_object_or_404(
        CommitmentSignature.objects.select_related("organisation"), commitment=commitment, organisation=organisation
    )
    try:
        services.commitment_withdraw(signature=signature, by=request.user)
    except AnchorsError as error:
        _refuse(request, error)
    else:
        messages.success(
            request,
            _("%(organisation)s's signature on “%(commitment)s” withdrawn.")
            % {"organisation": organisation.name, "commitment": commitment.title},
        )
    return redirect(commitment)


# --- Self-assessment ---------------------------------------------------------------------------


def _matrix() -> list[MaturityLevel]:
    return list(MaturityLevel.objects.select_related("pillar").order_by("pillar__position", "pillar__name", "level"))


@login_required
def self_assessment(request, slug):
    organisation = _administered_organisation(request, slug)
    levels = _matrix()
    initial = {"year": str(years.current())}
    latest = (
        SelfAssessment.objects.filter(organisation=organisation).order_by("-year").prefetch_related("answers__pillar").first()
    )
    if latest is not None:
        initial.update({f"pillar_{a.pillar.slug}": a.level for a in latest.answers.all()})
    form = SelfAssessmentForm(request.POST or None, levels=levels, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.self_assessment_complete(
                organisation=organisation, year=form.cleaned_data["year"], levels=form.levels(), by=request.user
            )
        except AnchorsError as error:
            if isinstance(error, NotAllowed):
                raise PermissionDenied(str(error)) from None
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Self-assessment for %(year)s saved.") % {"year": assessment.year_label})
            return redirect(organisation)
    return render(
        request, "evidence/self_assessment_form.html",
        {"organisation": organisation, "form": form, "latest": latest, "nav": "members"},
    )


def self_assessment_spread(request):
    available = selectors.assessment_years()
    form = SpreadFilterForm(request.GET or None, year_choices=available)
    year = available[0] if available else None
    if form.is_valid() and form.cleaned_data["year"]:
        year = form.cleaned_data["year"]
    context = {
        "form": form, "year": year, "levels": range(1, MATURITY_LEVELS + 1), "nav": "evidence",
        "minimum": selectors.MIN_ORGANISATIONS_FOR_SPREAD, "matrix": _matrix(),
    }
    if year is not None:
        pillars, spread = selectors.regional_spread(year)
        context.update(pillars=pillars, spread=spread, year_label=years.label(year))
    return render(request, "evidence/self_assessment_spread.html", context)

