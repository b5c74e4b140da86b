from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from taggit.models import Tag

from anchors.models import (
    Organisation,
    Pillar,
    Region,
    active_organisation_ids,
    is_coordinator,
    lead_region_ids,
)
from sitecache import (
    cached_for_visitors,
    dont_cache,
    get_fragment,
    is_plain_visit,
    set_fragment,
)

from . import services
from .caching import detail_queryset, facet_summary, public_case_study
from .diff import text_change
from .forms import AttachmentForm, CaseStudyForm, DecisionForm, MeasureFormSet, initial_from_content
from .models import (
    CONTENT_FIELDS,
    SECTIONS,
    Attachment,
    CaseStudy,
    Partner,
    Resource,
    Revision,
    Transition,
)
from .search import Filters, search

NAV = {"nav": "case-studies"}


def _get_case_study_for(user, slug: str) -> CaseStudy:
    """The case study if this person may see it; otherwise 404, so drafts never leak."""
    qs = CaseStudy.objects.visible_to(user).defer("search_vector").select_related(
        "organisation", "organisation__region", "created_by"
    )
    return get_object_or_404(qs, slug=slug)


def _get_authored(user, slug: str) -> CaseStudy:
    case_study = _get_case_study_for(user, slug)
    if not services.can_author(user, case_study):
        raise PermissionDenied
    return case_study


# --- Discovery ---------------------------------------------------------------------------------


@cached_for_visitors
def case_study_list(request):
    """Visitors get the whole page from the page cache; everyone else gets the results and the
    facets as fragments shared by all, around their own header and links."""
    filters = Filters.from_query(request.GET)
    fragments = _list_fragments(request, filters)
    response = render(
        request,
        "casestudies/list.html",
        {
            **NAV,
            "filters": filters,
            "fragments": fragments,
            "can_write": request.user.is_authenticated and bool(active_organisation_ids(request.user)),
            "can_review": request.user.is_authenticated and _can_use_queue(request.user),
        },
    )
    return response if fragments["settled"] else dont_cache(response)


def _list_fragments(request, filters: Filters) -> dict:
    """The results and the facets, rendered once per query and content version. While the
    facet summary waits for its worker, they are rendered for this request only."""
    key = (request.GET.urlencode(),)
    version, fragments = get_fragment("list", key)
    if fragments is not None:
        return fragments
    results = search(filters, request.GET.get("page"))
    context = {"results": results, "page_obj": results.page, "filters": filters, "facets": results.facets,
               "request": request}
    fragments = {
        "results": render_to_string("casestudies/_results.html", context),
        "facets": render_to_string("casestudies/_facets.html", context),
        "settled": not (filters.is_empty and not facet_summary()[1]),
    }
    if fragments["settled"]:
        set_fragment("list", key, version, fragments)
    return fragments


def case_study_detail(request, slug: str):
    return (_case_study_detail_for_visitors if is_plain_visit(request) else _case_study_detail)(request, slug)


def _case_study_detail(request, slug: str):
    case_study = public_case_study(slug)
    if case_study is None:  # not public: only people who may see it, fetched fresh
        case_study = get_object_or_404(detail_queryset().visible_to(request.user), slug=slug)
    is_author = services.can_author(request.user, case_study)
    revision = services.open_revision(case_study) if is_author and case_study.is_published else None
    return render(
        request,
        "casestudies/detail.html",
        {
            **NAV,
            "case_study": case_study,
            "is_author": is_author,
            "can_edit": is_author and case_study.status in (*CaseStudy.EDITABLE_STATUSES, CaseStudy.Status.PUBLISHED),
            "can_moderate": services.can_moderate(request.user, case_study),
            "revision": revision,
            "changes_requested": _changes_requested(case_study, revision) if is_author else None,
            "related": getattr(case_study, "related_cached", []),
        },
    )


_case_study_detail_for_visitors = cached_for_visitors(_case_study_detail)


# --- Authoring ---------------------------------------------------------------------------------


def _tag_suggestions() -> list[str]:
    """Tags published case studies already use, so authors reuse them rather than invent
    near-twins. Only published ones: another organisation's draft is nobody else's business."""
    return list(
        Tag.objects.filter(
            taggit_taggeditem_items__content_type=ContentType.objects.get_for_model(CaseStudy),
            taggit_taggeditem_items__object_id__in=CaseStudy.objects.published().values("pk"),
        )
        .order_by("name").values_list("name", flat=True).distinct()[:30]
    )


def _changes_requested(case_study: CaseStudy, revision: Revision | None) -> Transition | None:
    """The moderator's latest request for changes, while the author still has to act on it."""
    if revision is not None and revision.status == Revision.Status.CHANGES_REQUESTED:
        requests = Transition.objects.filter(revision=revision)
    elif case_study.status == CaseStudy.Status.CHANGES_REQUESTED:
        requests = Transition.objects.filter(case_study=case_study, revision__isnull=True)
    else:
        return None
    return requests.filter(action="changes_requested").select_related("by").order_by("-at", "-pk").first()


def _measures_from(formset) -> list[dict]:
    return [row for row in (f.as_content() for f in formset.forms if f.is_valid()) if row]


@login_required
def case_study_create(request):
    organisations = Organisation.objects.verified().filter(pk__in=active_organisation_ids(request.user))
    if not organisations.exists():
        raise PermissionDenied
    form = CaseStudyForm(request.POST or None, organisations=organisations, tag_suggestions=_tag_suggestions(),
                         initial={"language": request.user.language})
    formset = MeasureFormSet(request.POST or None, prefix="measures")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        case_study = services.case_study_create(
            organisation=form.cleaned_data["organisation"], by=request.user, content=form.content(_measures_from(formset))
        )
        messages.success(request, gettext("Draft saved. Preview it below, then submit it for review when it is ready."))
        return redirect(case_study)
    return render(request, "casestudies/edit.html", {**NAV, "form": form, "formset": formset, "creating": True})


@login_required
def case_study_edit(request, slug: str):
    case_study = _get_authored(request.user, slug)
    revision = None
    if case_study.is_published:
        revision = services.open_revision(case_study)
        if revision and revision.status == Revision.Status.SUBMITTED:
            messages.info(request, gettext("Your changes are awaiting review and cannot be edited until a decision is made."))
            return redirect(case_study)
        content = revision.content if revision else services.content_of(case_study)
    elif case_study.status in CaseStudy.EDITABLE_STATUSES:
        content = services.content_of(case_study)
    else:
        messages.info(request, gettext("This case study is %(status)s and cannot be edited.") % {
            "status": case_study.get_status_display().lower()
        })
        return redirect(case_study)
    partner_ids = [p["organisation"] for p in content.get("partners", []) if p.get("organisation")]
    partner_names = dict(Organisation.objects.filter(pk__in=partner_ids).values_list("pk", "name"))
    form = CaseStudyForm(request.POST or None, initial=initial_from_content(content, partner_names),
                         tag_suggestions=_tag_suggestions())
    formset = MeasureFormSet(request.POST or None, prefix="measures", initial=content.get("measures", []))
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            result = services.case_study_edit(case_study=case_study, by=request.user,
                                              content=form.content(_measures_from(formset)))
        except services.WorkflowError as error:
            messages.error(request, str(error))
            return redirect(case_study)
        if isinstance(result, Revision):
            messages.success(request, gettext("Changes saved. The published version stays live until your changes "
                                              "are submitted and approved."))
            return redirect("casestudies:revision", slug=case_study.slug)
        messages.success(request, gettext("Draft saved."))
        return redirect(case_study)
    return render(request, "casestudies/edit.html", {
        **NAV, "form": form, "formset": formset, "case_study": case_study, "revision": revision,
        "changes_requested": _changes_requested(case_study, revision),
        "attachment_form": AttachmentForm() if case_study.status in CaseStudy.EDITABLE_STATUSES else None,
        "attachments": case_study.attachments.all(),
    })


@login_required
def revision_preview(request, slug: str):
    case_study = _get_authored(request.user, slug)
    revision = services.open_revision(case_study) if case_study.is_published else None
    if revision is None:
        raise Http404
    return render(request, "casestudies/revision.html", {
        **NAV, "case_study": case_study, "revision": revision,
        "changes": _changes(case_study, revision), "preview": _preview(revision),
        "changes_requested": _changes_requested(case_study, revision),
    })


@login_required
@require_POST
def case_study_submit(request, slug: str):
    case_study = _get_authored(request.user, slug)
    try:
        services.case_study_submit(case_study=case_study, by=request.user)
    except services.WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, gettext("Submitted for review. We will email you when a decision is made."))
    return redirect(case_study)


@login_required
@require_POST
def case_study_archive(request, slug: str):
    case_study = _get_case_study_for(request.user, slug)
    try:
        services.case_study_archive(case_study=case_study, by=request.user)
    except services.WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, gettext("Archived. It no longer appears in lists or search."))
    return redirect(case_study)


@login_required
def case_study_history(request, slug: str):
    case_study = _get_case_study_for(request.user, slug)
    if not (services.can_author(request.user, case_study) or services.can_moderate(request.user, case_study)):
        raise PermissionDenied
    transitions = Transition.objects.filter(case_study=case_study).select_related("by", "revision")
    return render(request, "casestudies/history.html", {**NAV, "case_study": case_study, "transitions": transitions})


@login_required
def my_case_studies(request):
    case_studies = (
        CaseStudy.objects.filter(organisation_id__in=active_organisation_ids(request.user))
        .defer("search_vector")
        .select_related("organisation")
        .order_by("-updated_at", "-pk")
    )
    return render(request, "casestudies/mine.html", {**NAV, "case_studies": case_studies,
                                                     "can_write": bool(active_organisation_ids(request.user))})


# --- Attachments -------------------------------------------------------------------------------


@login_required
def attachment_add(request, slug: str):
    case_study = _get_authored(request.user, slug)
    form = AttachmentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.attachment_add(case_study=case_study, by=request.user, upload=form.cleaned_data["file"],
                                    title=form.cleaned_data["title"], alt_text=form.cleaned_data["alt_text"])
        except services.WorkflowError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, gettext("File attached."))
        return redirect("casestudies:edit", slug=case_study.slug)
    return render(request, "casestudies/attachment_add.html",
                  {**NAV, "case_study": case_study, "form": form}, status=400 if form.is_bound else 200)


@login_required
@require_POST
def attachment_remove(request, slug: str, pk: int):
    case_study = _get_authored(request.user, slug)
    attachment = get_object_or_404(Attachment, pk=pk, case_study=case_study)
    try:
        services.attachment_remove(attachment=attachment, by=request.user)
    except services.WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, gettext("File removed."))
    return redirect("casestudies:edit", slug=case_study.slug)


def attachment_download(request, pk: int):
    """Serve an upload so it can never run as the site: the type we detected (never the name's),
    nosniff, a sandboxing CSP, and a download for anything that is not a PNG or JPEG."""
    attachment = get_object_or_404(Attachment.objects.select_related("case_study"), pk=pk)
    visible = CaseStudy.objects.visible_to(request.user).filter(pk=attachment.case_study_id).exists()
    if not visible:
        raise Http404
    filename = f"{attachment.case_study.slug}-{attachment.pk}.{attachment.extension}"
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as missing:
        # The row outlived its file (a restored database, a lost volume): say "not found".
        raise Http404 from missing
    response = FileResponse(
        handle,
        content_type=attachment.content_type,
        as_attachment=not attachment.is_image,
        filename=filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


# --- Moderation --------------------------------------------------------------------------------


def _can_use_queue(user) -> bool:
    return is_coordinator(user) or bool(lead_region_ids(user))


@login_required
def moderation_queue(request):
    if not _can_use_queue(request.user):
        raise PermissionDenied
    new = list(CaseStudy.objects.awaiting_moderation_by(request.user))
    revisions = Revision.objects.filter(status=Revision.Status.SUBMITTED, case_study__in=CaseStudy.objects.filter(
        status=CaseStudy.Status.PUBLISHED)).exclude(case_study__organisation_id__in=active_organisation_ids(request.user))
    if not is_coordinator(request.user):
        revisions = revisions.filter(case_study__organisation__region_id__in=lead_region_ids(request.user))
    revisions = revisions.select_related("case_study__organisation__region").defer("case_study__search_vector")
    now = timezone.now()
    items = [{"case_study": cs, "kind": gettext("New case study"), "since": cs.submitted_at} for cs in new]
    items += [{"case_study": r.case_study, "kind": gettext("Changes to a published case study"), "since": r.submitted_at}
              for r in revisions]
    items.sort(key=lambda item: (item["since"] or now, item["case_study"].pk))
    # Suggested resources go through the same workflow and wait in the same queue.
    resources = Resource.objects.awaiting_moderation_by(request.user)
    return render(request, "casestudies/queue.html", {**NAV, "items": items, "resources": resources, "now": now})


def _changes(case_study: CaseStudy, revision: Revision) -> list[dict]:
    """What a revision changes, field by field: old and new text with the changed words marked."""
    current = services.content_of(case_study)
    proposed = revision.content
    labels = {"title": gettext("Title"), "summary": gettext("Summary"), "period": gettext("Period covered"),
              "contact_name": gettext("Contact person"), "contact_email": gettext("Contact email"),
              **{name: heading for name, heading, _hint in SECTIONS}}
    changes = []
    for name in CONTENT_FIELDS:
        change = text_change(current.get(name), proposed.get(name))
        if change:
            changes.append({"label": labels[name], "text": change})
    language = proposed.get("language")
    if language and language != current.get("language"):
        changes.append({"label": gettext("Language this is written in"),
                        "note": dict(settings.LANGUAGES).get(language, language)})
    for key, label in (("pillars", gettext("Pillars")), ("tags", gettext("Tags")),
                       ("measures", gettext("Outcome measures")), ("partners", gettext("Partners"))):
        if current.get(key) != proposed.get(key):
            changes.append({"label": label, "note": gettext("Changed: see the proposed version below.")})
    return changes


def _preview(revision: Revision) -> dict:
    content = revision.content
    # Each pillar by its label: the Welsh name on a Welsh page.
    pillar_names = [p.label for p in Pillar.objects.filter(pk__in=content.get("pillars", [])).only("name", "name_cy")]
    return {**content, "pillar_names": pillar_names, "sections": revision.sections()}


@login_required
def review(request, slug: str):
    case_study = _get_case_study_for(request.user, slug)
    if not services.can_moderate(request.user, case_study):
        raise PermissionDenied
    target = services.awaiting_decision(case_study)
    revision = target if isinstance(target, Revision) else None
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        if target is False:
            messages.error(request, gettext("This case study has already been decided."))
            return redirect("casestudies:review", slug=slug)
        if form.is_valid():
            decision, comment = form.cleaned_data["decision"], form.cleaned_data["comment"]
            try:
                if decision == "publish":
                    services.case_study_publish(case_study=case_study, by=request.user, comment=comment)
                    messages.success(request, gettext("Published “%(title)s”.") % {"title": case_study.title})
                elif decision == "request_changes":
                    services.case_study_request_changes(case_study=case_study, by=request.user, comment=comment)
                    messages.success(request, gettext("Asked for changes to “%(title)s”.") % {"title": case_study.title})
                else:
                    services.case_study_reject(case_study=case_study, by=request.user, reason=comment)
                    messages.success(request, gettext("Rejected “%(title)s”.") % {"title": case_study.title})
            except services.WorkflowError as error:
                messages.error(request, str(error))
                return redirect("casestudies:review", slug=slug)
            return redirect("casestudies:queue")
    case_study = (
        CaseStudy.objects.filter(pk=case_study.pk).defer("search_vector")
        .select_related("organisation", "organisation__region", "created_by")
        .prefetch_related("pillars", "tags", "measures", "attachments",
                          Prefetch("partners", queryset=Partner.objects.select_related("organisation")))
        .get()
    )
    return render(request, "casestudies/review.html", {
        **NAV, "case_study": case_study, "form": form, "revision": revision, "decided": target is False,
        "changes": _changes(case_study, revision) if revision else [],
        "preview": _preview(revision) if revision else None,
        "transitions": Transition.objects.filter(case_study=case_study).select_related("by"),
    })


@cached_for_visitors
def feeds_index(request):
    return render(request, "casestudies/feeds.html", {**NAV, "pillars": Pillar.objects.all(), "regions": Region.objects.all()})

